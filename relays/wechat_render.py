"""How the assistant's replies look in WeChat: plain text, buttons as a numbered list, parts under
WeChat's length limit. Pure functions, so that what a citizen reads can be tested without a network.

WeChat has no buttons in a chat. A reply's buttons become "回复数字选择" with numbered lines, and
the citizen's reply of a number presses that button (`pressed`). A text message may carry at most
2,048 bytes (passive replies and 客服消息 alike); a long guide is cut between lines, never inside
a material's line, and a quota-bound answer is packed into as few messages as it takes.
"""

from __future__ import annotations

import re
from typing import List, Optional, Sequence, Tuple

from common.rasa_client import BotMessage, Button
from domain_logic.handover.store import AGENT

MAX_BYTES = 2048  # WeChat's limit for one text message (UTF-8: about 680 Chinese characters)
MAX_MESSAGES = 5  # 客服消息 a citizen's message allows within 48 h; one answer stays well inside it
MORE = "（内容较长，已分条发送）"
AGENT_LABEL = "【工作人员】"  # above a person's reply (人工帮办)
NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.．、。]?\s*$")


def as_text(replies: Sequence[BotMessage]) -> Tuple[str, List[str]]:
    """One answer's text, its buttons numbered at the end, and the payloads those numbers press."""
    parts = [
        (f"{AGENT_LABEL}{r.text.strip()}" if r.author == AGENT else r.text.strip())
        for r in replies
        if r.text and r.text.strip()
    ]
    buttons: List[Button] = [b for r in replies for b in r.buttons]
    if buttons:
        choices = "\n".join(f"{n}. {b.title}" for n, b in enumerate(buttons, 1))
        parts.append(f"回复数字选择：\n{choices}")
    return "\n\n".join(parts), [b.payload for b in buttons]


def pressed(text: str, payloads: Sequence[str]) -> Optional[str]:
    """The payload of the button whose number the citizen sent, if the text is just such a number."""
    match = NUMBER.match(text)
    if not match:
        return None
    n = int(match.group(1))
    return payloads[n - 1] if 1 <= n <= len(payloads) else None


def split_message(text: str, max_bytes: int = MAX_BYTES) -> List[str]:
    """`text` in parts of at most `max_bytes` UTF-8 bytes, cut at line ends; a single line longer
    than that (rare: a pasted paragraph) is cut at a character boundary."""
    parts: List[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if _size(candidate) <= max_bytes:
            current = candidate
            continue
        if current:
            parts.append(current)
        while _size(line) > max_bytes:
            head = _cut(line, max_bytes)
            parts.append(head)
            line = line[len(head) :]
        current = line
    if current.strip():
        parts.append(current)
    return [p.strip("\n") for p in parts if p.strip()]


def packed(text: str, max_messages: int = MAX_MESSAGES, max_bytes: int = MAX_BYTES) -> List[str]:
    """The parts of one answer for 客服消息, at most `max_messages`: the last keeps what fits and says
    that the rest is in the guide (the citizen can ask again, or ask for a part)."""
    parts = split_message(text, max_bytes)
    if len(parts) <= 1:
        return parts
    parts[0] = parts[0] if _size(f"{parts[0]}\n{MORE}") > max_bytes else f"{parts[0]}\n{MORE}"
    if len(parts) <= max_messages:
        return parts
    tail = "……（未完，可回复“办理流程”“办理地点”等分项查看，或到窗口咨询）"
    kept = parts[:max_messages]
    kept[-1] = split_message(kept[-1], max_bytes - _size(tail) - 1)[0] + "\n" + tail
    return kept


def one_message_with_link(text: str, link_line: str, max_bytes: int = MAX_BYTES) -> str:
    """A long checklist as one message: as many whole lines as fit, then the line with its link,
    where the whole sheet is (扫码带走), so that the quota is spent on nothing else."""
    if _size(text) <= max_bytes:
        return text
    body = text.replace(link_line, "").rstrip()
    room = max_bytes - _size(link_line) - _size("\n……\n")
    return f"{split_message(body, room)[0]}\n……\n{link_line}"


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _cut(line: str, max_bytes: int) -> str:
    """The longest start of `line` within `max_bytes`, at a character boundary."""
    return line.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")
