"""How the assistant's replies look in Telegram: HTML parse mode, inline keyboards, 4,096-char parts.

Pure functions, so that the rules a citizen sees can be tested without a network.
"""

from __future__ import annotations

import hashlib
import html
from collections import OrderedDict
from typing import List, Optional, Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from common.rasa_client import BotMessage, Button
from domain_logic.handover.store import AGENT

MESSAGE_LIMIT = 4096  # Telegram's limit for one message
CALLBACK_DATA_LIMIT = 64  # bytes, Telegram's limit for a button's callback_data
SHORT_TITLE = 8  # titles up to this many characters go two to a row
AGENT_LABEL = "👤 工作人员："  # above a person's reply


def message_html(message: BotMessage) -> str:
    """The text in Telegram's HTML parse mode: the sheet's own Telegram version, else escaped text."""
    checklist = message.custom.get("checklist") if isinstance(message.custom, dict) else None
    if isinstance(checklist, dict) and isinstance(checklist.get("telegram_html"), str):
        return checklist["telegram_html"]
    if message.author == AGENT:  # a person's reply (人工帮办), marked as theirs
        return f"<b>{AGENT_LABEL}</b>\n" + html.escape(message.text, quote=False)
    return html.escape(message.text, quote=False)


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> List[str]:
    """Parts of at most `limit` characters, cut at line ends (inside a line only if it is longer than a part).

    Our HTML never opens a tag on one line and closes it on another, so a cut at a
    line end never breaks the markup.
    """
    parts: List[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            cut = _safe_cut(line, limit)
            parts.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        parts.append(current)
    return [p for p in parts if p.strip()]


def _safe_cut(line: str, limit: int) -> int:
    """Cut before an HTML entity or tag rather than through one."""
    cut = limit
    amp, lt = line.rfind("&", 0, cut), line.rfind("<", 0, cut)
    for start, end_char in ((amp, ";"), (lt, ">")):
        if start != -1 and line.find(end_char, start, cut) == -1 and start > 0:
            cut = min(cut, start)
    return cut


class CallbackPayloads:
    """Button payloads as callback_data: short ones as they are, long ones by a key kept in memory.

    Telegram allows 64 bytes of callback_data; a payload such as
    /checklist_answer{"answer": "委托他人代办"} is longer in UTF-8.
    """

    PREFIX = "#"

    def __init__(self, capacity: int = 20000) -> None:
        self._long: "OrderedDict[str, str]" = OrderedDict()
        self._capacity = capacity

    def data_for(self, payload: str) -> str:
        if len(payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT and not payload.startswith(self.PREFIX):
            return payload
        key = self.PREFIX + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]
        self._long[key] = payload
        self._long.move_to_end(key)
        while len(self._long) > self._capacity:
            self._long.popitem(last=False)
        return key

    def payload_of(self, data: str) -> Optional[str]:
        """The payload a press carries, or None for a key forgotten since (e.g. after a restart)."""
        if data.startswith(self.PREFIX):
            return self._long.get(data)
        return data


def keyboard(buttons: Sequence[Button], payloads: CallbackPayloads) -> Optional[InlineKeyboardMarkup]:
    """Short titles two to a row, long ones on a row of their own, in the bot's order."""
    if not buttons:
        return None
    rows: List[List[InlineKeyboardButton]] = []
    for b in buttons:
        button = InlineKeyboardButton(b.title[:64] or "…", callback_data=payloads.data_for(b.payload))
        short = len(b.title) <= SHORT_TITLE
        if short and rows and len(rows[-1]) == 1 and len(rows[-1][0].text) <= SHORT_TITLE:
            rows[-1].append(button)
        else:
            rows.append([button])
    return InlineKeyboardMarkup(rows)
