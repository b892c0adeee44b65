"""删除我的记录: the citizen's erase request reaches every store that keeps something of theirs.

Saved checklists (and those spooled while the database was away), ratings (anonymised: the
score stays for the 好差评 figures, nothing that points to the citizen does), ratings still in
the spool, and human-help tickets with their messages and callbacks. The conversation itself is
in Rasa's tracker store, which deletes it once this action has run (bot/rasa_runtime/tracker_store.py).
"""

from __future__ import annotations

import logging
from typing import Callable, List, Text, Tuple

from rasa_sdk.events import ActiveLoop, EventType, SlotSet

from actions import checklist_flow, feedback_flow, human_help
from actions.checklist_flow import STEP_SLOT
from actions.safe_action import SafeAction

# (what the citizen is told was erased, its counting word, how)
ERASERS: Tuple[Tuple[str, str, Callable[[str], int]], ...] = (
    ("准备清单", "份", lambda sender: checklist_flow.store().delete(sender)),
    ("评价", "条", lambda sender: feedback_flow.ratings().forget(sender)),
    ("人工帮办记录", "次", lambda sender: human_help.store().forget(sender)),
)


def erase_everywhere(sender_id: str) -> Tuple[List[str], List[str]]:
    """(what went, e.g. "1 份准备清单"; the stores that could not be reached now)."""
    erased, unreachable = [], []
    for what, unit, erase in ERASERS:
        try:
            count = erase(sender_id)
        except Exception:  # noqa: BLE001 - one store down must not keep the others from forgetting
            logging.getLogger(__name__).warning("could not erase %s", what, exc_info=True)
            unreachable.append(what)
            continue
        if count:
            erased.append(f"{count} {unit}{what}")
    return erased, unreachable


class ActionDeleteMyData(SafeAction):
    def name(self) -> Text:
        return "action_delete_my_data"

    def answer(self, dispatcher, tracker, domain) -> List[EventType]:
        erased, unreachable = erase_everywhere(tracker.sender_id)
        if erased:
            text = "已删除您的记录：" + "、".join(erased) + "。评价的分数已匿名保留，用于服务统计。"
        else:
            text = "没有找到您保存的记录。"
        if unreachable:
            text += f"（{'、'.join(unreachable)}暂时无法删除，请稍后再说一次“删除我的记录”。）"
        dispatcher.utter_message(text=text)
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet(STEP_SLOT, None)]
