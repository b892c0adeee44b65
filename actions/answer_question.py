"""Answer a citizen's question about a service from its guide."""

from __future__ import annotations

from collections import Counter
from typing import Any, Dict, List, Optional, Sequence, Set, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from domain_logic import imported_replies, replies
from actions.catalogue import catalogue
from actions.inbox_log import is_low_confidence, log_for_inbox
from actions.safe_action import SafeAction
from actions.buttons import button
from actions.take_away import guide_take_away
from actions.service_context import FAMILY, POPULAR, NoGuide, ServiceInContext, buttons, service_in_context

DEFAULT_INTENT = "inquire_service"
HUMAN_BUTTON = button("转人工", "request_human")


def choose_service_buttons(intent: str, ids, cat) -> List[Dict[str, Any]]:
    """One button per candidate (our guides or a region's imported records); pressing it answers the
    same question about it."""
    return buttons([(cat.title_of(i), intent, i) for i in ids if cat.title_of(i)])


def utter_alternatives(dispatcher: CollectingDispatcher, intent: str, alternatives: Sequence[str], cat) -> None:
    """Under an answer that was likely but not certain: the other likely items, one tap away."""
    if alternatives:
        dispatcher.utter_message(text=replies.NOT_THIS, buttons=choose_service_buttons(intent, alternatives, cat))


def steps_to_skip(answered: str, service: str, tracker: Tracker) -> Set[str]:
    """The answer just given, and the rating once given for this item or while a flow runs (一事一评)."""
    rated = tracker.get_slot("rated_services") or []
    return {answered} | ({"give_feedback"} if service in rated or tracker.active_loop_name else set())


def next_step_buttons(answered: str, service: str, tracker: Tracker) -> List[Dict[str, Any]]:
    """The natural next steps after an answer, minus the one just given.

    The rating is offered once per item per conversation (一事一评), never during a flow.
    """
    skip = steps_to_skip(answered, service, tracker)
    entry = catalogue().get(service)
    if entry is not None and not entry.preparable:
        skip.add("start_checklist")  # nothing to hand in, nothing to prepare
    return buttons([(title, intent, service) for title, intent in replies.NEXT_STEPS if intent not in skip])


def ask_to_choose(
    dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, context: ServiceInContext, cat
) -> List[Dict[Text, Any]]:
    """Ask which one is meant, never guess. Candidates of one family get the family's own question
    (丢了、到期了……); entries the sentence only resembled are offered as possibilities, with the
    department that handles such matters; an ambiguous name also offers the service in context."""
    families = {getattr(cat.get(i), "family", None) for i in context.candidates}
    family = cat.families.get(families.pop() or "") if len(families) == 1 else None
    options = list(context.candidates)
    if context.guessed:
        department = cat.departments.get(context.gap.department) if context.gap and context.gap.department else None
        text = replies.not_sure(department)
        log_for_inbox(tracker)
    elif family is not None:
        named = context.gap.department if context.gap and context.gap.department else family.department_id
        text = replies.which_of(cat.departments.get(named))
    else:
        text = replies.several_options(_department_for_options(options, context, cat))
        if context.previous and context.previous not in options:
            options.append(context.previous)
    choices = choose_service_buttons(intent, options, cat)
    if context.guessed:
        choices.append(HUMAN_BUTTON)
    dispatcher.utter_message(text=text, buttons=choices)
    return [SlotSet(FAMILY, family.id if family else None)]


def _department_for_options(options: Sequence[str], context: ServiceInContext, cat):
    """Where to ask if none of the options fits: the department named, else the one most options share."""
    if context.gap and context.gap.department:
        return cat.departments.get(context.gap.department)
    counts = Counter(getattr(cat.get(i), "department_id", None) for i in options)
    counts.pop(None, None)
    return cat.departments.get(counts.most_common(1)[0][0]) if counts else None


def tell_no_guide(dispatcher: CollectingDispatcher, tracker: Tracker, gap: NoGuide, cat) -> List[Dict[Text, Any]]:
    """No entry covers it: say so plainly, name who handles it and how to reach them, offer a person;
    no sibling's guide as a button (驾驶证注销 is not 驾驶证补领); log it for staff."""
    department = cat.departments.get(gap.department) if gap.department else None
    log_for_inbox(tracker)
    family = next((f for f in cat.families.values() if any(u.name == gap.matter for u in f.uncovered)), None)
    dispatcher.utter_message(text=replies.no_guide(gap.matter, department), buttons=[HUMAN_BUTTON])
    return [SlotSet("service", None), SlotSet(FAMILY, family.id if family else None)]


def tell_policy(dispatcher: CollectingDispatcher, tracker: Tracker, entry, cat) -> List[Dict[Text, Any]]:
    """能领多少、报销比例: a figure of local policy that no guide states; say who knows, offer the guide."""
    log_for_inbox(tracker, entry.id)
    options = choose_service_buttons("inquire_service", [entry.id], cat)
    options.append(HUMAN_BUTTON)
    dispatcher.utter_message(text=replies.policy_question(entry, cat.department_of(entry)), buttons=options)
    return [SlotSet("service", entry.id), SlotSet(FAMILY, getattr(entry, "family", None))]


def options_or_no_guide(
    dispatcher: CollectingDispatcher, tracker: Tracker, context: ServiceInContext, cat
) -> Optional[List[Dict[Text, Any]]]:
    """For the actions that answer when the NLU was unsure: candidates become options (with whom to
    ask if none fits), a gap the honest answer; None when neither applies."""
    if context.candidates:
        if not context.guessed:  # ask_to_choose keeps a guess for the inbox itself
            log_for_inbox(tracker)
        return ask_to_choose(dispatcher, tracker, "inquire_service", context, cat)
    if context.gap:
        return tell_no_guide(dispatcher, tracker, context.gap, cat)
    return None


def tell_imported(
    dispatcher: CollectingDispatcher, tracker: Tracker, intent: str, context: ServiceInContext, cat
) -> List[Dict[Text, Any]]:
    """A region's imported record: what it holds, its official guide and phone, and no checklist."""
    record = cat.imported[context.service]
    log_for_inbox(tracker, record.id)  # staff see which imported matters citizens ask, to write guides
    answer = imported_replies.ANSWERS.get(intent, imported_replies.overview)(record)
    skip = steps_to_skip(intent, record.id, tracker)
    steps = [(title, asked, record.id) for title, asked in imported_replies.NEXT_STEPS if asked not in skip]
    dispatcher.utter_message(text=answer, buttons=buttons(steps) + [HUMAN_BUTTON])
    utter_alternatives(dispatcher, intent, context.alternatives, cat)
    return [SlotSet("service", record.id), SlotSet(FAMILY, None)]


class ActionAnswerQuestion(SafeAction):
    """ask_* / inquire_service → the matching part of the guide."""

    def name(self) -> Text:
        return "action_answer_question"

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        intent = (tracker.latest_message.get("intent") or {}).get("name") or DEFAULT_INTENT
        if intent not in replies.ANSWERS:
            intent = DEFAULT_INTENT
        cat = catalogue()
        context = service_in_context(tracker)

        if context.candidates:
            return ask_to_choose(dispatcher, tracker, intent, context, cat)
        if context.gap:
            return tell_no_guide(dispatcher, tracker, context.gap, cat)

        entry = cat.get(context.service) if context.service else None
        if entry is None and context.service in cat.imported:
            return tell_imported(dispatcher, tracker, intent, context, cat)
        if entry is None:
            dispatcher.utter_message(
                response="utter_which_service", buttons=choose_service_buttons(intent, POPULAR, cat)
            )
            return [SlotSet("service", None)] if context.service else []

        if context.policy:
            return tell_policy(dispatcher, tracker, entry, cat)
        if is_low_confidence(tracker):
            log_for_inbox(tracker, entry.id)
        answer = replies.ANSWERS[intent](entry)
        if context.guessed:
            answer = f"（按「{entry.name}」为您解答；如果不是您要办的事，请告诉我具体名称。）\n" + answer
        steps = next_step_buttons(intent, entry.id, tracker)
        dispatcher.utter_message(text=answer, buttons=steps, json_message=guide_take_away(entry, tracker))
        utter_alternatives(dispatcher, intent, context.alternatives, cat)
        return [SlotSet("service", entry.id), SlotSet(FAMILY, getattr(entry, "family", None))]
