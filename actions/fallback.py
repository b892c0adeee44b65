"""When the bot is unsure: offer likely services and a human, never silence."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from domain_logic import replies
from actions.answer_question import (
    HUMAN_BUTTON,
    next_step_buttons,
    options_or_no_guide,
    tell_imported,
    tell_policy,
    utter_alternatives,
)
from actions.catalogue import catalogue
from actions.inbox_log import log_for_inbox
from actions.safe_action import SafeAction
from actions.service_context import service_in_context


class ActionServiceFallback(SafeAction):
    """Low confidence: if a service was named, show its overview; else suggest some."""

    def name(self) -> Text:
        return "action_service_fallback"

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        cat = catalogue()
        context = service_in_context(tracker)
        unsure = options_or_no_guide(dispatcher, tracker, context, cat)
        if unsure is not None:
            return unsure
        named = cat.get(context.service) if context.service else None
        if named is None and context.named_now and context.service in cat.imported:
            return tell_imported(dispatcher, tracker, "inquire_service", context, cat)
        if context.policy and named is not None:
            return tell_policy(dispatcher, tracker, named, cat)
        entry = named if context.named_now else None
        if entry is not None:
            dispatcher.utter_message(
                text=replies.overview(entry), buttons=next_step_buttons("inquire_service", entry.id, tracker)
            )
            utter_alternatives(dispatcher, "inquire_service", context.alternatives, cat)
            return [SlotSet("service", entry.id)]

        log_for_inbox(tracker)
        dispatcher.utter_message(response="utter_not_understood", buttons=[HUMAN_BUTTON])
        return []


class ActionOutOfScope(SafeAction):
    """Outside what the assistant answers: if it is a government matter with a known department,
    say who handles it; otherwise the general out-of-scope reply."""

    def name(self) -> Text:
        return "action_out_of_scope"

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        unsure = options_or_no_guide(dispatcher, tracker, service_in_context(tracker), catalogue())
        if unsure is not None:
            return unsure
        dispatcher.utter_message(response="utter_out_of_scope")
        return []
