"""Live human help (人工帮办) on the assistant's side: the queue, and the callback when nobody comes.

request_human (转人工, the kiosk's 呼叫工作人员) during staffed hours puts the citizen in the
queue and says how long the wait usually is. From then on the channel, not Rasa, carries the
citizen's messages (relays/human_help.py), so the conversation here stays where it was;
a checklist in progress is left (its progress is saved) and the ticket's `resume_with` picks it
up again when the agent hands the citizen back.

Outside staffed hours, or when no agent took the citizen in time (the channel then sends
/request_callback), the assistant says so plainly and offers a callback: consent in words,
then a mobile number (read as the 差评's 回访 is, actions/callback_number.py), which becomes a
callback ticket in the console.
"""

from __future__ import annotations

import logging
import math
import time
from functools import lru_cache
from typing import List, Optional, Text

import sqlalchemy as sa
from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.callback_number import AGREED, CallbackNumberValidation, given_number
from actions.handover_summary import summary
from actions.safe_action import SafeAction
from common.database import StoreUnavailable
from domain_logic.handover.store import TIMED_OUT, HandoverStore
from common.privacy import mask_personal_data
from domain_logic.handover import staffed_hours
from common.channels import HUMAN_HELP_CHANNELS

logger = logging.getLogger(__name__)

FORM = "callback_form"
# The channels that carry an agent's replies back to the citizen; elsewhere the citizen is sent to the desk.
RESUME_CHECKLIST = "/resume_checklist"
# Why a callback was asked for (the callback ticket's reason, kept in the slot of that name).
CLOSED, ASKED = "closed", "asked"
CALLBACK_SLOTS = ["callback_consent", "callback_phone", "callback_reason"]
JUST_TOLD_SECONDS = 60  # a request_callback this soon after the channel ended a wait is that wait's


@lru_cache(maxsize=None)
def store() -> HandoverStore:
    """Opened on first use, so importing the action server needs no database."""
    return HandoverStore()


def wait_words(seconds: float) -> str:
    """30 → 30 秒; 60 → 1 分钟; 95 → 2 分钟 (a wait is never promised shorter than it is)."""
    if seconds < 60:
        return f"{max(int(math.ceil(seconds / 10.0)) * 10, 10)} 秒"
    return f"{int(math.ceil(seconds / 60.0))} 分钟"


def offer_callback(reason: str) -> List[EventType]:
    return [
        SlotSet("callback_consent", None),
        SlotSet("callback_phone", None),
        SlotSet("callback_reason", reason),
        FollowupAction(FORM),
    ]


class ActionRequestHuman(SafeAction):
    """request_human: the queue when staffed, a callback when not, the desk on a channel without human help."""

    def name(self) -> Text:
        return "action_request_human"

    def answer(self, dispatcher, tracker, domain) -> List[EventType]:
        in_checklist = tracker.active_loop_name == "checklist_form"  # the rules then leave the form
        channel = tracker.get_latest_input_channel() or ""
        if channel not in HUMAN_HELP_CHANNELS:
            dispatcher.utter_message(response="utter_request_human")
            if in_checklist:
                dispatcher.utter_message(response="utter_checklist_kept")
            return []
        if not staffed_hours.staffed():
            dispatcher.utter_message(response="utter_human_closed", hours=staffed_hours.describe())
            return offer_callback(CLOSED)
        try:
            ticket = store().queue(
                tracker.sender_id, channel, summary(tracker), resume_with=RESUME_CHECKLIST if in_checklist else None
            )
            ahead = store().position(ticket) - 1
            wait = store().usual_wait_seconds()
        except (sa.exc.SQLAlchemyError, StoreUnavailable):  # unreachable: send the citizen to the desk instead
            logger.exception("could not queue %s for a person", tracker.sender_id)
            dispatcher.utter_message(response="utter_human_unavailable")
            return []
        place = f"您前面还有 {ahead} 位" if ahead else "您是下一位"
        dispatcher.utter_message(response="utter_human_queued", place=place, wait=wait_words(wait))
        if in_checklist:
            dispatcher.utter_message(response="utter_checklist_waits_for_human")
        return []


class ActionRequestCallback(SafeAction):
    """request_callback: asked by the citizen, or sent by the channel when no agent took them in time."""

    def name(self) -> Text:
        return "action_request_callback"

    def answer(self, dispatcher, tracker, domain) -> List[EventType]:
        timed_out = self._timed_out(tracker.sender_id)
        if timed_out is not None:
            dispatcher.utter_message(response="utter_human_timed_out", waited=wait_words(timed_out))
            return offer_callback(TIMED_OUT)
        return offer_callback(ASKED if staffed_hours.staffed() else CLOSED)

    @staticmethod
    def _timed_out(sender_id: str) -> Optional[float]:
        """How long the citizen waited, if the channel has just told them their wait ran out."""
        ticket = store().latest_ticket(sender_id)
        if (
            ticket is None
            or ticket.state != TIMED_OUT
            or ticket.closed_at is None
            or ticket.announced_at is None
            or time.time() - ticket.announced_at > JUST_TOLD_SECONDS
        ):
            return None
        return ticket.closed_at - ticket.created_at


class ValidateCallbackForm(CallbackNumberValidation, FormValidationAction):
    def name(self) -> Text:
        return f"validate_{FORM}"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        """The number only with consent."""
        return ["callback_consent"] + (["callback_phone"] if tracker.get_slot("callback_consent") == AGREED else [])


class ActionCallbackSubmit(SafeAction):
    """The form is done: a callback ticket with the number, or, without consent, the other ways to ask."""

    def name(self) -> Text:
        return "action_callback_submit"

    def answer(self, dispatcher, tracker, domain) -> List[EventType]:
        reset: List[EventType] = [SlotSet(s, None) for s in CALLBACK_SLOTS]
        phone = given_number(tracker.get_slot("callback_consent"), tracker.get_slot("callback_phone"))
        if not phone:
            dispatcher.utter_message(response="utter_callback_declined")
            return reset
        reason = tracker.get_slot("callback_reason") or ASKED
        latest = store().latest_ticket(tracker.sender_id) if reason == TIMED_OUT else None
        try:
            store().add_callback(
                phone,
                tracker.get_latest_input_channel() or "rest",
                reason,
                summary(tracker),
                ticket_id=latest.id if latest else None,
            )
        except (sa.exc.SQLAlchemyError, StoreUnavailable):  # unreachable: nothing claimed that was not saved
            logger.exception("could not save a callback ticket")
            dispatcher.utter_message(response="utter_callback_not_saved")
            return reset
        dispatcher.utter_message(
            response="utter_callback_registered", phone=mask_personal_data(phone), hours=staffed_hours.describe()
        )
        return reset
