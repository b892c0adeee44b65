"""What an agent reads before taking a citizen: the item in context, the checklist, the last turns.

Built from the tracker when the citizen is queued and stored with the ticket (the store masks
it), so the console needs neither Rasa's HTTP API nor the knowledge base to show it.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker

from actions.catalogue import catalogue
from actions.checklist_flow import saved_checklist
from domain_logic.checklist.plan import MISSING, READY, UNSURE, Progress, materials_for, next_step, questions_for
from knowledge_base.catalogue import Entry

RECENT_TURNS = 8
MAX_TURN_CHARS = 300
CITIZEN, ASSISTANT = "citizen", "assistant"


def summary(tracker: Tracker) -> Dict[str, Any]:
    """{service, checklist, recent: [{who, text}]}; plain data, for the store to mask and keep."""
    return {
        "service": catalogue().title_of(tracker.get_slot("service") or ""),
        "checklist": checklist_state(tracker),
        "recent": recent_turns(tracker.events),
    }


def checklist_state(tracker: Tracker) -> Optional[str]:
    """Where the citizen's checklist stands, if one is in progress in this conversation."""
    if tracker.active_loop_name != "checklist_form":
        return None
    saved = saved_checklist(tracker.sender_id)
    if saved is None:
        return None
    entry, progress = saved
    return describe_progress(entry, progress)


def describe_progress(entry: Entry, progress: Progress) -> str:
    cat = catalogue()
    questions = questions_for(entry, cat)
    answered = sum(1 for q in questions if q.id in progress.answers)
    names = [n.material.name for n in materials_for(entry, progress.answers)]
    by_status = {
        status: [n for n in names if progress.statuses.get(n) == status] for status in (READY, MISSING, UNSURE)
    }
    parts = [
        f"「{entry.name}」材料准备",
        f"问题已答 {answered}/{len(questions)}",
        f"材料已确认 {sum(len(v) for v in by_status.values())}/{len(names)}",
    ]
    if by_status[MISSING]:
        parts.append("还没有：" + "、".join(by_status[MISSING]))
    if by_status[UNSURE]:
        parts.append("不确定：" + "、".join(by_status[UNSURE]))
    step = next_step(entry, cat, progress)
    if step.question:
        parts.append(f"正在问：{step.question.ask}")
    elif step.needed:
        parts.append(f"正在核对：{step.needed.material.name}")
    return "；".join(parts)


def recent_turns(events: List[Dict[str, Any]]) -> List[Dict[str, str]]:
    """The last turns of both sides; a button press shows as the button's title."""
    titles: Dict[str, str] = {"/request_human": "呼叫工作人员"}
    turns: List[Dict[str, str]] = []
    for event in events:
        if event.get("event") == "bot":
            for b in (event.get("data") or {}).get("buttons") or []:
                titles[str(b.get("payload"))] = str(b.get("title"))
            if event.get("text"):
                turns.append({"who": ASSISTANT, "text": _cut(event["text"])})
        elif event.get("event") == "user" and event.get("text"):
            text = str(event["text"])
            if text.startswith("/"):
                text = f"〔按钮〕{titles.get(text, text.lstrip('/').split('{')[0])}"
            turns.append({"who": CITIZEN, "text": _cut(text)})
    return turns[-RECENT_TURNS:]


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TURN_CHARS else text[:MAX_TURN_CHARS] + "…"
