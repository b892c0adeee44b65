"""The checklist flow: a Rasa form whose questions come from the knowledge base.

start  → (questionnaire → materials, one step per turn) → the 一次性告知单.
The form has one slot, `checklist_step`; the validation action reads each
answer, saves progress, and keeps the slot empty until every step is done.
Interruptions (an ask_* question) are answered by their own action, and rules
bring the form back to the step it was on.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from domain_logic import imported_replies, replies
from actions.answer_question import choose_service_buttons, next_step_buttons, tell_imported, tell_no_guide
from actions.catalogue import catalogue
from domain_logic.checklist.plan import (
    MISSING,
    READY,
    UNKNOWN,
    UNSURE,
    Progress,
    Step,
    materials_for,
    next_step,
    questions_for,
)
from domain_logic.checklist.sheet import build_sheet, to_html_page, to_telegram_html, to_text
from domain_logic.checklist.store import ProgressStore
from domain_logic.checklist.understand import read_option, read_statuses
from domain_logic.replies import material_line
from knowledge_base.catalogue import Entry
from actions.safe_action import SafeAction
from actions.buttons import button
from actions.service_context import POPULAR, SERVICE, service_in_context
from common import settings
from common.spool import local_spool
from actions.take_away import sheet_link

FORM = "checklist_form"
STEP_SLOT = "checklist_step"
MAX_RETRIES = 2
UNSURE_BUTTON = "不确定"
OPENING_INTENTS = {"start_checklist", "resume_checklist"}


@lru_cache(maxsize=None)
def store() -> ProgressStore:
    """Opened on first use, so importing the action server needs no database."""
    return ProgressStore(spool=local_spool())


def answer_button(answer: str) -> Dict[str, str]:
    return button(answer, "checklist_answer", answer=answer)


def saved_checklist(sender_id: str) -> Optional[Tuple[Entry, Progress]]:
    """The citizen's checklist in progress and its item, if there is one (and the item still exists)."""
    progress = store().load(sender_id)
    entry = catalogue().get(progress.entry_id) if progress else None
    return (entry, progress) if entry is not None and progress is not None else None


def ask(dispatcher: CollectingDispatcher, step: Step, hint: str = "") -> None:
    """Put the current step to the citizen, with quick replies."""
    if step.question:
        options = list(step.question.options) + [UNSURE_BUTTON]
        dispatcher.utter_message(text=hint + step.question.ask, buttons=[answer_button(o) for o in options])
    elif step.needed:
        text = f"{hint}您的{material_line(step.needed.material)}备好了吗？"
        dispatcher.utter_message(text=text, buttons=[answer_button(a) for a in (READY, MISSING, UNSURE)])


def send_sheet(dispatcher: CollectingDispatcher, entry, progress: Progress) -> None:
    sheet = build_sheet(entry, progress)
    page = to_html_page(sheet)
    link = sheet_link(sheet.title, page)
    take_away = f"\n\n手机查看、保存这份清单：{link}（{settings.sheet_link_days():g} 天内有效）" if link else ""
    dispatcher.utter_message(
        text=to_text(sheet) + take_away,
        json_message={
            "checklist": {
                "entry": entry.id,
                "telegram_html": to_telegram_html(sheet) + take_away,
                "html": page,
                "verdict": sheet.verdict,
                "link": link,
            }
        },
        buttons=[
            button("评价本次服务", "give_feedback", **{SERVICE: entry.id}),
            button("删除我的记录", "delete_my_data"),
        ],
    )


def _typed_text(tracker: Tracker) -> str:
    """A button's answer entity, or what the citizen typed."""
    for e in tracker.latest_message.get("entities", []) or []:
        if e.get("entity") == "answer" and isinstance(e.get("value"), str):
            return e["value"]
    return tracker.latest_message.get("text") or ""


def _prefill(entry, cat, text: str, earlier: Optional[Progress]) -> Dict[str, str]:
    """Answers already known: said in the request (委托别人办) or given for an earlier item."""
    answers: Dict[str, str] = {}
    for q in questions_for(entry, cat):
        if earlier and q.id in cat.shared_questions and earlier.answers.get(q.id):
            answers[q.id] = earlier.answers[q.id]
        elif set(q.options) - {"是", "否", "有", "没有"}:  # yes/no is too easy to misread
            option = read_option(text, q)
            if option:
                answers[q.id] = option
    return answers


class ActionChecklistStart(SafeAction):
    """start_checklist: pick the item, reuse saved progress, open the form."""

    def name(self) -> Text:
        return "action_checklist_start"

    def answer(self, dispatcher, tracker, domain) -> List[EventType]:
        cat = catalogue()
        context = service_in_context(tracker)
        if context.gap and not context.candidates:
            return tell_no_guide(dispatcher, tracker, context.gap, cat)
        entry = cat.get(context.service) if context.service else None
        if entry is None and context.service in cat.imported:
            # A record of the region's 事项清单 names its materials, not their form or copies: no checklist.
            dispatcher.utter_message(text=imported_replies.NO_CHECKLIST)
            return tell_imported(dispatcher, tracker, "ask_materials", context, cat)
        if entry is None:
            ids = context.candidates or POPULAR
            dispatcher.utter_message(
                response="utter_which_checklist", buttons=choose_service_buttons("start_checklist", ids, cat)
            )
            return []
        if not entry.preparable:
            # A look-up or a help service: there is nothing to hand in, so nothing to prepare.
            dispatcher.utter_message(
                text=f"「{entry.name}」不需要提前准备申请材料，直接按下面的方法办理就可以：\n"
                + replies.overview(entry),
                buttons=next_step_buttons("start_checklist", entry.id, tracker),
            )
            return [SlotSet("service", entry.id)]
        sender = tracker.sender_id
        progress = store().load(sender, entry.id, starting=True)
        if progress is not None and next_step(entry, cat, progress).done:
            progress = None  # that one was finished: prepare afresh
        if progress is None:
            earlier = store().load(sender, starting=True)
            progress = Progress(entry.id, _prefill(entry, cat, tracker.latest_message.get("text") or "", earlier))
            dispatcher.utter_message(response="utter_checklist_started", service_name=entry.name)
        else:
            dispatcher.utter_message(response="utter_checklist_resumed", service_name=entry.name)
        store().save(sender, progress)
        return [SlotSet("service", entry.id), SlotSet(STEP_SLOT, None), FollowupAction(FORM)]


class ActionAskChecklistStep(SafeAction):
    """The form's question: whatever step the saved progress is on."""

    def name(self) -> Text:
        return f"action_ask_{STEP_SLOT}"

    def answer(self, dispatcher, tracker, domain) -> List[EventType]:
        saved = saved_checklist(tracker.sender_id)
        if saved is None:
            dispatcher.utter_message(response="utter_checklist_not_found")
            return [ActiveLoop(None), SlotSet("requested_slot", None)]
        entry, progress = saved
        ask(dispatcher, next_step(entry, catalogue(), progress))
        return []


class ValidateChecklistForm(FormValidationAction):
    """Reads one answer, saves progress, and keeps the form going until the sheet is ready."""

    def name(self) -> Text:
        return f"validate_{FORM}"

    async def validate_checklist_step(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> Dict[Text, Any]:
        saved = saved_checklist(tracker.sender_id)
        if saved is None:
            return {STEP_SLOT: "done"}
        entry, progress = saved
        cat = catalogue()
        step = next_step(entry, cat, progress)
        opening = (tracker.latest_message.get("intent") or {}).get("name") in OPENING_INTENTS
        if not step.done and not opening:  # the message that opened the form is not an answer
            self._apply(dispatcher, entry, cat, progress, step, _typed_text(tracker))
            store().save(tracker.sender_id, progress)
        if next_step(entry, cat, progress).done:
            send_sheet(dispatcher, entry, progress)
            return {STEP_SLOT: "done"}
        return {STEP_SLOT: None}

    @staticmethod
    def _apply(dispatcher, entry, cat, progress: Progress, step: Step, text: str) -> None:
        if step.question:
            understood = read_option(text, step.question)
            if understood is not None:
                progress.answers[step.question.id] = understood
                progress.retries = 0
                return
            if progress.retries >= MAX_RETRIES:
                progress.answers[step.question.id] = UNKNOWN  # keep its materials, move on
                progress.retries = 0
                dispatcher.utter_message(response="utter_checklist_question_unsure")
                return
            progress.retries += 1
            dispatcher.utter_message(
                response="utter_checklist_option_unclear", options="、".join(step.question.options)
            )
            return
        assert step.needed is not None  # a step is a question or a material still to confirm
        pending = [n.material.name for n in _pending(entry, progress)]
        statuses = read_statuses(text, step.needed.material.name, pending)
        if statuses:
            progress.statuses.update(statuses)
            progress.retries = 0
        elif progress.retries >= MAX_RETRIES:
            progress.statuses[step.needed.material.name] = UNSURE
            progress.retries = 0
            dispatcher.utter_message(response="utter_checklist_material_unsure")
        else:
            progress.retries += 1
            dispatcher.utter_message(response="utter_checklist_status_unclear")


def _pending(entry, progress: Progress):
    return [n for n in materials_for(entry, progress.answers) if n.material.name not in progress.statuses]


class ActionChecklistCancel(SafeAction):
    def name(self) -> Text:
        return "action_checklist_cancel"

    def answer(self, dispatcher, tracker, domain) -> List[EventType]:
        dispatcher.utter_message(response="utter_checklist_cancelled")
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet(STEP_SLOT, None)]


class ActionChecklistResume(SafeAction):
    """继续准备 / 我的清单: back to the saved step, or the finished sheet."""

    def name(self) -> Text:
        return "action_checklist_resume"

    def answer(self, dispatcher, tracker, domain) -> List[EventType]:
        saved = saved_checklist(tracker.sender_id)
        if saved is None:
            dispatcher.utter_message(
                response="utter_no_saved_checklist",
                buttons=choose_service_buttons("start_checklist", POPULAR, catalogue()),
            )
            return []
        entry, progress = saved
        if next_step(entry, catalogue(), progress).done:
            send_sheet(dispatcher, entry, progress)
            return [SlotSet("service", entry.id)]
        dispatcher.utter_message(response="utter_checklist_resumed", service_name=entry.name)
        return [SlotSet("service", entry.id), SlotSet(STEP_SLOT, None), FollowupAction(FORM)]


class ActionChecklistDone(SafeAction):
    """After the sheet: empty the step slot so the next checklist starts afresh."""

    def name(self) -> Text:
        return "action_checklist_done"

    def answer(self, dispatcher, tracker, domain) -> List[EventType]:
        return [SlotSet(STEP_SLOT, None)]
