"""How a citizen reads the bot's reply: which guide it gave, which options it offered, or that it had none.

The reading uses only what the citizen sees — the text and the buttons — plus
the catalogue's names, so it judges the wording, not the bot's internals.
A question back helps only when it is short: at most `MAX_OPTIONS` item buttons
with the right one among them. A longer list is a menu the citizen has to read,
and counts as a miss whatever it holds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

ANSWERED, ASKED, NO_GUIDE, NO_ANSWER = "answered", "asked", "no_guide", "no_answer"
# The most item buttons a reply may show; more is a menu.
MAX_OPTIONS = 3
_QUOTED = re.compile(r"「([^」]+)」")
_ASKING = ("请选择", "您说的可能是", "您是想了解以下哪项", "请问要准备哪一项", "请问您要办理的是哪一项")
_NO_GUIDE = ("还没有", "没有这方面的办事指南")


@dataclass(frozen=True)
class Reading:
    """What the reply amounts to for the citizen."""

    outcome: str  # answered | asked | no_guide | no_answer
    entry: Optional[str] = None  # the entry whose guide was given
    options: Tuple[str, ...] = ()  # the entries offered as buttons (beside the one answered)
    departments: Tuple[str, ...] = ()  # departments named in the reply

    @property
    def is_menu(self) -> bool:
        """More item buttons than a citizen can take in at a glance."""
        return len(self.options) > MAX_OPTIONS


def _button_services(messages: Sequence[Dict]) -> Tuple[str, ...]:
    ids: List[str] = []
    for m in messages:
        for b in m.get("buttons") or []:
            payload = str(b.get("payload", ""))
            if "{" in payload:
                try:
                    service = json.loads(payload[payload.index("{") :]).get("service")
                except ValueError:
                    continue
                if service and service not in ids:
                    ids.append(service)
    return tuple(ids)


def read_reply(messages: Sequence[Dict], names: Dict[str, str], departments: Dict[str, str]) -> Reading:
    """`names`: entry name → id; `departments`: department name → id."""
    text = "\n".join(str(m.get("text") or "") for m in messages)
    options = _button_services(messages)
    named = tuple(d for name, d in departments.items() if name in text)
    if "办事指南" in text and any(p in text for p in _NO_GUIDE):
        return Reading(NO_GUIDE, options=options, departments=named)
    first = str(messages[0].get("text") or "") if messages else ""
    if any(p in first for p in _ASKING):
        return Reading(ASKED, options=options, departments=named)
    for quoted in _QUOTED.findall(first):
        if quoted in names:
            entry = names[quoted]
            others = tuple(o for o in options if o != entry)  # the answer's own next steps are not options
            return Reading(ANSWERED, entry=entry, options=others, departments=named)
    return Reading(NO_ANSWER, options=options, departments=named)


@dataclass(frozen=True)
class Verdict:
    """One question's result, in the issue's categories.

    In the catalogue: right (answered outright), asked_right (asked back with at most three options,
    the right one among them), menu (more options than that), wrong (another item answered),
    no_answer. Outside it: honest (no item offered), offered (items as buttons), claimed (an item
    answered as if it were the matter)."""

    category: str
    department_named: Optional[bool] = None


def judge(reading: Reading, expect: str, department: Optional[str] = None) -> Verdict:
    """`expect`: the entry id that should answer; "clarify" (a vague turn: the bot should ask back,
    briefly); or "outside" (then `department` handles it, or none)."""
    if expect == "clarify":
        if reading.is_menu:
            return Verdict("menu")
        return Verdict({ASKED: "right", ANSWERED: "wrong"}.get(reading.outcome, "no_answer"))
    if expect != "outside":
        if reading.outcome == ANSWERED:
            return Verdict("right" if reading.entry == expect else "wrong")
        if reading.is_menu:
            return Verdict("menu")
        if reading.outcome == ASKED and expect in reading.options:
            return Verdict("asked_right")
        return Verdict("no_answer")
    named = None
    if department and department != "none":
        named = department in reading.departments
    if reading.outcome == ANSWERED:
        return Verdict("claimed", named)
    return Verdict("offered" if reading.options else "honest", named)
