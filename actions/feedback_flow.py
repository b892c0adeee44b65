"""好差评 in conversation: a five-level rating, and for a 差评 the aspect, a comment
and, with consent, a callback number. One rating per item per conversation
(一事一评), one follow-up rating (追评) to an earlier one.

The rating is committed to the store before the citizen is thanked; if the
store is down the citizen is told so, and nothing is claimed.
"""

from __future__ import annotations


from functools import lru_cache
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.buttons import button
from actions.callback_number import AGREED, DECLINED, CallbackNumberValidation, given_number
from actions.catalogue import catalogue
from common.database import StoreUnavailable
from domain_logic.feedback.store import BAD, DIMENSIONS, RATINGS, FeedbackStore
from common.privacy import mask_personal_data, sender_key
from actions.safe_action import SafeAction
from common.spool import local_spool
from domain_logic.feedback.ratings import SpooledRatings, read_rating
from common.channels import channel_of

FORM = "feedback_form"
GENERAL = "assistant"  # a rating of the assistant itself, when no service is in context
BAD_SLOTS = ["dimension", "feedback_comment", "callback_consent"]
FEEDBACK_SLOTS = [
    "rating",
    "dimension",
    "feedback_comment",
    "callback_consent",
    "callback_phone",
    "feedback_target",
    "follow_up_of",
]


@lru_cache(maxsize=None)
def store() -> FeedbackStore:
    """Opened on first use, so importing the action server needs no database."""
    return FeedbackStore()


@lru_cache(maxsize=None)
def ratings() -> SpooledRatings:
    return SpooledRatings(store(), local_spool)


def rated_before(tracker: Tracker) -> List[str]:
    return list(tracker.get_slot("rated_services") or [])


class ActionFeedbackStart(SafeAction):
    """give_feedback / 评价本次服务 / 我要追评 → the rating form, once per item."""

    def name(self) -> Text:
        return "action_feedback_start"

    def answer(self, dispatcher, tracker, domain) -> List[EventType]:
        if tracker.active_loop_name == "checklist_form":
            dispatcher.utter_message(response="utter_feedback_after_checklist")
            return []
        text = tracker.latest_message.get("text") or ""
        target = tracker.get_slot("service") or GENERAL
        for e in tracker.latest_message.get("entities", []) or []:
            if e.get("entity") == "service":
                target = e["value"]
        if "追评" in text:
            try:
                earlier = store().rating_open_to_follow_up(tracker.sender_id)
            except StoreUnavailable:
                dispatcher.utter_message(response="utter_feedback_lookup_failed")
                return []
            if earlier is None:
                dispatcher.utter_message(response="utter_nothing_to_follow_up")
                return []
            return [
                SlotSet("feedback_target", earlier["entry_id"]),
                SlotSet("follow_up_of", str(earlier["id"])),
                FollowupAction(FORM),
            ]
        if target in rated_before(tracker):
            dispatcher.utter_message(response="utter_already_rated")
            return []
        return [SlotSet("feedback_target", target), SlotSet("follow_up_of", None), FollowupAction(FORM)]


class ValidateFeedbackForm(CallbackNumberValidation, FormValidationAction):
    def name(self) -> Text:
        return f"validate_{FORM}"

    async def required_slots(
        self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Text]:
        """A 差评 asks more; a 追评 asks only the rating; consent decides the phone."""
        rating = read_rating(tracker.get_slot("rating"))  # not yet validated: may be "" or anything
        if rating is None or tracker.get_slot("follow_up_of") or rating not in BAD:
            return ["rating"]
        slots = ["rating"] + BAD_SLOTS
        if tracker.get_slot("callback_consent") == AGREED:
            slots.append("callback_phone")
        return slots

    def validate_rating(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        rating = read_rating(value)
        if rating is None:
            dispatcher.utter_message(response="utter_rating_unclear")
            return {"rating": None}
        return {"rating": str(rating)}

    def validate_dimension(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        chosen = next((d for d in DIMENSIONS if d in str(value)), None)
        if chosen is None:
            dispatcher.utter_message(response="utter_dimension_unclear")
        return {"dimension": chosen}

    def validate_feedback_comment(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        comment = str(value or "").strip()[:1000]
        return {"feedback_comment": mask_personal_data(comment) if comment else "（无）"}


def _button(title: str, entity: str, value: str) -> Dict[str, str]:
    return button(title, "give_feedback", **{entity: value})


# The choices the form offers for each slot; its question is the response utter_ask_<slot> in
# domain.yml. (Asked by an action rather than by the response alone, for the buttons.)
CHOICES: Dict[str, List[Dict[str, str]]] = {
    "rating": [_button(word, "rating", str(score)) for score, word in RATINGS.items()],
    "dimension": [_button(d, "dimension", d) for d in DIMENSIONS],
    "feedback_comment": [],
    "callback_consent": [_button("同意回访", "consent", AGREED), _button("不需要", "consent", DECLINED)],
    "callback_phone": [],
}


def _ask_action(slot: str) -> type:
    buttons = CHOICES[slot]

    class AskSlot(SafeAction):
        def name(self) -> Text:
            return f"action_ask_{slot}"

        def answer(self, dispatcher, tracker, domain) -> List[EventType]:
            dispatcher.utter_message(response=f"utter_ask_{slot}", buttons=buttons)
            return []

    AskSlot.__name__ = f"ActionAsk_{slot}"
    return AskSlot


ASK_ACTIONS = [_ask_action(slot) for slot in CHOICES]


class ActionFeedbackSubmit(SafeAction):
    """Commit the rating, then — only then — thank the citizen and say what happens next."""

    def name(self) -> Text:
        return "action_feedback_submit"

    def answer(self, dispatcher, tracker, domain) -> List[EventType]:
        rating = int(float(tracker.get_slot("rating")))
        target = tracker.get_slot("feedback_target") or GENERAL
        follow_up_of = tracker.get_slot("follow_up_of")
        phone = given_number(tracker.get_slot("callback_consent"), tracker.get_slot("callback_phone"))
        reset = [SlotSet(s, None) for s in FEEDBACK_SLOTS]
        comment = tracker.get_slot("feedback_comment")
        try:
            in_database = ratings().save(
                dict(
                    entry_id=target,
                    rating=rating,
                    channel=channel_of(tracker.get_latest_input_channel() or ""),
                    sender_id=tracker.sender_id,
                    dimension=tracker.get_slot("dimension"),
                    comment=mask_personal_data(comment) if comment else None,
                    callback_phone=phone or None,
                    follow_up_of=int(follow_up_of) if follow_up_of else None,
                    # salted hash: 64 characters as the column takes (PostgreSQL refused a longer key: the rating
                    # stayed spooled), and no raw sender id in the spool or the database
                    idempotency_key=sender_key(
                        f"{tracker.sender_id}:{tracker.latest_message.get('message_id') or ''}:{target}"
                    ),
                )
            )
        except StoreUnavailable:
            dispatcher.utter_message(response="utter_feedback_not_saved")
            return reset
        name = catalogue().title_of(target) or "本次服务"
        text = f"已记录您对「{name}」的评价：{RATINGS[rating]}。"
        if rating in BAD and not follow_up_of:
            text += (
                f"问题方面：{tracker.get_slot('dimension')}。我们将在 1 个工作日内"
                f"{'电话回访（' + mask_personal_data(phone) + '）' if phone else '处理'}，"
                "15 个工作日内完成整改并反馈。"
            )
        text += "感谢您的评价！"
        if not in_database:
            text += "（系统繁忙，评价已先妥善保存，恢复后自动入库，无需重复评价。）"
        dispatcher.utter_message(text=text)
        return reset + [SlotSet("rated_services", rated_before(tracker) + [target])]
