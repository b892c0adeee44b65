"""Which service a turn is about: the one just named, or the one in context."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker

SERVICE = "service"
CANDIDATE = "service_candidate"

# Offered when a question names no service and nothing is in context.
POPULAR = ("passport", "id-card-renewal", "social-security-card", "housing-fund-withdrawal",
           "company-establishment", "bundle-newborn")


@dataclass(frozen=True)
class ServiceInContext:
    service: Optional[str]          # the entry to answer about
    candidates: Tuple[str, ...]     # ask the citizen to choose among these
    named_now: bool                 # named in this message (not carried over)


def _entities(tracker: Tracker, name: str) -> List[str]:
    values = []
    for e in tracker.latest_message.get("entities", []) or []:
        if e.get("entity") == name and isinstance(e.get("value"), str) and e["value"] not in values:
            values.append(e["value"])
    return values


def service_in_context(tracker: Tracker) -> ServiceInContext:
    """A service named now wins; an ambiguous mention asks; else the slot carries over."""
    named = _entities(tracker, SERVICE)
    if named:
        return ServiceInContext(named[0], (), True)
    candidates = tuple(_entities(tracker, CANDIDATE))
    if candidates:
        return ServiceInContext(None, candidates, True)
    return ServiceInContext(tracker.get_slot(SERVICE), (), False)


def payload(intent: str, service: str) -> str:
    """A button payload that asks `intent` about `service` directly."""
    return f"/{intent}{json.dumps({SERVICE: service})}"


def buttons(choices: List[Tuple[str, str, str]]) -> List[Dict[str, Any]]:
    """(title, intent, service) triples → Rasa buttons."""
    return [{"title": title, "payload": payload(intent, service)} for title, intent, service in choices]
