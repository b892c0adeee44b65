"""The channels citizens reach the assistant by, in one list: what the stores record, what staff
read, and which channels can carry a person's replies (人工帮办).

A new relay adds its line here; the rating form, the human-help action, the console's filters and
its queue all follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Tuple


@dataclass(frozen=True)
class Channel:
    name: str  # as Rasa records it (input_channel) and the stores keep it
    label: str  # as staff read it in the console
    human_help: bool  # the relay carries an agent's replies back to the citizen


CHANNELS: Tuple[Channel, ...] = (
    Channel("kiosk", "自助屏", True),
    Channel("telegram", "Telegram", True),
    Channel("wechat", "微信", True),
    Channel("rest", "REST 接口", False),
    Channel("shell", "终端", False),
)
BY_NAME: Dict[str, Channel] = {c.name: c for c in CHANNELS}
RASA_NAMES = {"cmdline": "shell"}  # Rasa's own name for `rasa shell`'s channel


def channel_of(input_channel: str) -> str:
    """The channel a store records for Rasa's `input_channel`; anything unknown is "rest"."""
    name = RASA_NAMES.get(input_channel, input_channel)
    return name if name in BY_NAME else "rest"


def label(name: str) -> str:
    return BY_NAME[name].label if name in BY_NAME else name


HUMAN_HELP_CHANNELS = tuple(c.name for c in CHANNELS if c.human_help)
