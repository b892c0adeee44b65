"""Which service a turn is about: the one just named, or the one in context."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker

from actions.catalogue import catalogue

SERVICE = "service"
CANDIDATE = "service_candidate"
UNCOVERED = "uncovered"
DEPARTMENT = "department"
# Below this the NLU only guessed from resemblance, not from a name or alias.
NAMED_CONFIDENCE = 0.7

# Offered when a question names no service and nothing is in context.
POPULAR = ("passport", "id-card-renewal", "social-security-card", "housing-fund-withdrawal",
           "company-establishment", "bundle-newborn")


@dataclass(frozen=True)
class ServiceInContext:
    service: Optional[str]          # the entry to answer about
    candidates: Tuple[str, ...]     # ask the citizen to choose among these
    named_now: bool                 # named in this message (not carried over)
    guessed: bool = False           # inferred from resemblance; say so in the answer
    previous: Optional[str] = None  # the service in context before this message
    gap: Optional["NoGuide"] = None  # a matter the catalogue has no guide for


@dataclass(frozen=True)
class NoGuide:
    """What the citizen asked about that no entry covers, and who handles it."""

    department: Optional[str]       # departments.yml id
    matter: Optional[str] = None    # the uncovered 办理项's name, when a family names it


def _entities(tracker: Tracker, name: str) -> List[Dict[str, Any]]:
    seen, out = set(), []
    for e in tracker.latest_message.get("entities", []) or []:
        if e.get("entity") == name and isinstance(e.get("value"), str) and e["value"] not in seen:
            seen.add(e["value"])
            out.append(e)
    return out


def service_in_context(tracker: Tracker) -> ServiceInContext:
    """A service named now wins; an ambiguous mention asks; else the slot carries over.

    A guess (low confidence) is used only when no service is in context yet.
    """
    previous = tracker.get_slot(SERVICE)
    named = _entities(tracker, SERVICE)
    uncovered = _entities(tracker, UNCOVERED)
    departments = _entities(tracker, DEPARTMENT)
    department = departments[0]["value"] if departments else None
    if uncovered and not named:
        # 居住证丢了 names another matter: it never falls back on the service in context.
        gap = NoGuide(department, uncovered[0]["value"])
        return ServiceInContext(None, (), True, previous=previous, gap=gap)
    if named:
        top = named[0]
        confident = float(top.get("confidence") or 1.0) >= NAMED_CONFIDENCE
        if confident or not previous:
            return ServiceInContext(top["value"], (), True, guessed=not confident, previous=previous)
    candidate_entities = _entities(tracker, CANDIDATE)
    candidates = tuple(e["value"] for e in candidate_entities)
    if candidates:
        # While preparing, "身份证复印件要几份" asks about a material, not about the 身份证 services.
        if previous and tracker.active_loop_name and _names_a_material_of(previous, candidate_entities, tracker):
            return ServiceInContext(previous, (), False, previous=previous)
        return ServiceInContext(None, candidates, True, previous=previous)
    if department and not previous:
        return ServiceInContext(None, (), False, previous=previous, gap=NoGuide(department))
    return ServiceInContext(previous, (), False, previous=previous)


def _names_a_material_of(service: str, mentions: List[Dict[str, Any]], tracker: Tracker) -> bool:
    """Whether the ambiguous term is part of a material name of the service in context."""
    entry = catalogue().get(service)
    text = tracker.latest_message.get("text") or ""
    term = text[mentions[0].get("start", 0):mentions[0].get("end", 0)]
    if entry is None or not term:
        return False
    items = entry.members if entry.is_bundle else (entry,)
    return any(term in m.name for item in items for m in item.materials)


def payload(intent: str, service: str) -> str:
    """A button payload that asks `intent` about `service` directly."""
    return f"/{intent}{json.dumps({SERVICE: service})}"


def buttons(choices: List[Tuple[str, str, str]]) -> List[Dict[str, Any]]:
    """(title, intent, service) triples → Rasa buttons."""
    return [{"title": title, "payload": payload(intent, service)} for title, intent, service in choices]
