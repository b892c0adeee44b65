"""The unanswered-questions inbox: every fallback and every low-confidence turn, masked, for staff.

`kb inbox` reads it back, grouped by similarity, to turn into aliases, FAQ
entries or training examples.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Optional

from rasa_sdk import Tracker

from domain_logic.inbox.store import STAFF_CHANNEL, InboxStore

logger = logging.getLogger(__name__)
LOW_CONFIDENCE = 0.6  # below this, the answer was a guess worth a look


@lru_cache(maxsize=None)
def inbox_store() -> InboxStore:
    """Opened on first use, so importing the action server needs no database."""
    return InboxStore()


def is_low_confidence(tracker: Tracker) -> bool:
    """The intent was uncertain, or the service was only guessed by resemblance."""
    intent = tracker.latest_message.get("intent") or {}
    if (intent.get("confidence") or 1.0) < LOW_CONFIDENCE:
        return True
    services = [e for e in tracker.latest_message.get("entities") or [] if e.get("entity") == "service"]
    return any((e.get("confidence") or 1.0) <= LOW_CONFIDENCE for e in services)


def log_for_inbox(tracker: Tracker, service: Optional[str] = None) -> None:
    """Keep the citizen's question (masked by the store); a failure here never blocks the reply."""
    text = tracker.latest_message.get("text") or ""
    if not text.strip() or text.startswith("/"):
        return  # a button press: nothing a citizen worded
    channel = tracker.get_latest_input_channel() or "rest"
    if channel == STAFF_CHANNEL:
        return  # staff trying the bot in the console
    ranking = tracker.latest_message.get("intent_ranking") or []
    guessed = next((r.get("name") for r in ranking if r.get("name") != "nlu_fallback"), None)
    try:
        inbox_store().log_unanswered(text, guessed, service or tracker.get_slot("service"), channel)
    except Exception:  # noqa: BLE001
        logger.warning("could not log a question for the inbox", exc_info=True)
