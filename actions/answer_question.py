"""Answer a citizen's question about a service from its guide."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import replies
from actions.catalogue import catalogue
from actions.inbox_log import is_low_confidence, log_for_inbox
from actions.safe_action import SafeAction
from actions.service_context import POPULAR, buttons, service_in_context

DEFAULT_INTENT = "inquire_service"


def choose_service_buttons(intent: str, ids, cat) -> List[Dict[str, Any]]:
    """One button per candidate; pressing it answers the same question about it."""
    return buttons([(cat.get(i).name, intent, i) for i in ids if cat.get(i)])


def next_step_buttons(answered: str, service: str, tracker: Tracker) -> List[Dict[str, Any]]:
    """The natural next steps after an answer, minus the one just given.

    The rating is offered once per item per conversation (一事一评), never during a flow.
    """
    rated = tracker.get_slot("rated_services") or []
    skip = {answered} | ({"give_feedback"} if service in rated or tracker.active_loop_name else set())
    return buttons([(title, intent, service) for title, intent in replies.NEXT_STEPS if intent not in skip])


class ActionAnswerQuestion(SafeAction):
    """ask_* / inquire_service → the matching part of the guide."""

    def name(self) -> Text:
        return "action_answer_question"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
            domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or DEFAULT_INTENT
        if intent not in replies.ANSWERS:
            intent = DEFAULT_INTENT
        cat = catalogue()
        context = service_in_context(tracker)

        if context.candidates:
            options = list(context.candidates)
            if context.previous and context.previous not in options:
                options.append(context.previous)  # or they still mean the one in context
            dispatcher.utter_message(
                text="您说的可能是以下几项，请选择一项：",
                buttons=choose_service_buttons(intent, options, cat))
            return []

        entry = cat.get(context.service) if context.service else None
        if entry is None:
            dispatcher.utter_message(
                text="请问您要办理的是哪一项业务？可以直接说名称，比如“办护照”“提取公积金”，或点选常办事项：",
                buttons=choose_service_buttons(intent, POPULAR, cat))
            return [SlotSet("service", None)] if context.service else []

        if is_low_confidence(tracker):
            log_for_inbox(tracker, entry.id)
        answer = replies.ANSWERS[intent](entry)
        if context.guessed:
            answer = f"（按「{entry.name}」为您解答；如果不是您要办的事，请告诉我具体名称。）\n" + answer
        dispatcher.utter_message(text=answer, buttons=next_step_buttons(intent, entry.id, tracker))
        return [SlotSet("service", entry.id)]
