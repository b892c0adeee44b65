"""The one way a channel talks to the assistant: Rasa's REST channel.

The channel name travels as `input_channel`, so that ratings and reports can
tell a Telegram citizen from a kiosk one without a channel class inside Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import httpx

from common import settings

# Said by every channel when the assistant cannot be reached.
UNAVAILABLE = "抱歉，暂时无法查询，请稍后再试。如需帮助，可拨打 12345 政务服务便民热线。"
# Said for anything that is not a text question: stickers, photos, voice, edits…
TEXT_ONLY = "请用文字提问，比如“办护照要带什么”。"
ASSISTANT = "assistant"  # BotMessage.author; an agent's reply carries domain_logic.handover.store.AGENT


def too_long_message() -> str:
    return f"问题太长了，请控制在 {settings.max_message_chars()} 字以内。"


def too_long(text: str) -> Optional[str]:
    """What to tell a citizen whose message is longer than every channel takes (MAX_MESSAGE_CHARS), else None.

    The REST channel refuses such a message too; the NLU itself reads at most 500 characters.
    """
    return too_long_message() if len(text) > settings.max_message_chars() else None


class RasaUnavailable(Exception):
    """Rasa did not answer (down, restarting, or returned an error)."""


class RasaTooFast(RasaUnavailable):
    """Rasa's REST channel refused the message: this sender sent too many (429)."""


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class BotMessage:
    """One message to the citizen as every channel sees it: the assistant's, or a person's (人工帮办)."""

    text: str = ""
    buttons: List[Button] = field(default_factory=list)
    custom: Dict[str, Any] = field(default_factory=dict)
    author: str = ASSISTANT

    @classmethod
    def from_rest(cls, raw: Dict[str, Any]) -> "BotMessage":
        buttons = [
            Button(str(b.get("title", "")), str(b.get("payload", "")))
            for b in raw.get("buttons") or []
            if isinstance(b, dict) and b.get("payload")
        ]
        raw_custom = raw.get("custom")
        custom = raw_custom if isinstance(raw_custom, dict) else {}
        return cls(text=str(raw.get("text") or ""), buttons=buttons, custom=custom)


def rejoin_custom(messages: List[BotMessage]) -> List[BotMessage]:
    """Put each custom payload back on the message it came with.

    Rasa's REST channel sends a message's `custom` part as a message of its own,
    right after the text and buttons; a channel wants them as one.
    """
    joined: List[BotMessage] = []
    for m in messages:
        if m.custom and not m.text and not m.buttons and joined and not joined[-1].custom:
            joined[-1] = BotMessage(joined[-1].text, joined[-1].buttons, m.custom)
        else:
            joined.append(m)
    return joined


class RasaClient:
    """Sends one citizen's message and returns the assistant's replies."""

    def __init__(self, base_url: Optional[str] = None, channel: str = "rest", timeout: float = 30.0) -> None:
        self.base_url = (base_url or settings.rasa_url()).rstrip("/")
        self.channel = channel
        self._http = httpx.AsyncClient(timeout=timeout)

    async def send(self, sender: str, text: str) -> List[BotMessage]:
        body = {"sender": sender, "message": text, "input_channel": self.channel}
        try:
            response = await self._http.post(f"{self.base_url}/webhooks/rest/webhook", json=body)
            if response.status_code == 429:
                raise RasaTooFast(str(response.text))
            response.raise_for_status()
            replies = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RasaUnavailable(str(exc)) from exc
        if not isinstance(replies, list):
            raise RasaUnavailable(f"unexpected reply: {replies!r:.200}")
        return rejoin_custom([BotMessage.from_rest(r) for r in replies if isinstance(r, dict)])

    async def forget(self, sender: str) -> None:
        """Start this sender's conversation afresh (Rasa's built-in /restart)."""
        await self.send(sender, "/restart")

    async def close(self) -> None:
        await self._http.aclose()
