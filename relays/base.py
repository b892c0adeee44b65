"""The shape of a relay, and the pipeline every relay runs a citizen's message through.

A relay is one channel (the kiosk page, Telegram, next WeChat). Like Rasa's own channels
(an InputChannel receives, an OutputChannel sends) it does three things of its own:

- receive: its web route or chat handler takes a message in the channel's protocol and calls
  `relay(sender, text, to)`;
- render and deliver: `deliver(to, replies)` dresses the replies for the channel (JSON for the
  page, HTML and keyboards for Telegram) and sends them where the message came from; `refuse(to,
  turn)` says why there is no reply. The agent's replies during human help go out the same way.

Between the two is the turn, the same everywhere (`turn`): refuse an empty or oversized
message, hold back a sender who sends too fast, pass the message to the person helping when
human help is on (人工帮办), else ask Rasa, and turn Rasa's failures into a polite word.
Adding a channel is one subclass in one module (docs/architecture.md, "Adding a channel").
"""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar, Generic, List, Optional, TypeVar

from common.rasa_client import UNAVAILABLE, BotMessage, RasaClient, RasaTooFast, RasaUnavailable, too_long
from common.rate_limit import TOO_FAST, SenderRateLimiter
from relays.human_help import HumanHelp

log = logging.getLogger(__name__)
EMPTY = "请输入您的问题。"
# Why a message got no replies, in HTTP's words (the kiosk answers with them; a chat just says the text).
BAD_REQUEST, TOO_LARGE, TOO_MANY, NOT_NOW = 400, 413, 429, 503

To = TypeVar("To")  # where a reply goes: the kiosk's HTTP request, a Telegram chat
Out = TypeVar("Out")  # what delivering gives back: the kiosk's HTTP response; nothing for a chat


@dataclass(frozen=True)
class Turn:
    """What one citizen message came to: replies to render, or a refusal to say."""

    replies: List[BotMessage] = field(default_factory=list)
    refusal: Optional[str] = None
    status: int = 200
    retry_after: Optional[int] = None  # seconds, when the citizen sent too fast


class Relay(ABC, Generic[To, Out]):
    """One channel: its `name`, and how it renders and delivers; the turn in between is shared."""

    name: ClassVar[str]  # what Rasa records as input_channel, so that reports tell the channels apart

    def __init__(self, rasa_url: str) -> None:
        self.rasa = RasaClient(rasa_url, channel=self.name)
        self.human = HumanHelp(self.rasa)
        self.limiter = SenderRateLimiter()

    async def relay(self, sender: str, text: str, to: To) -> Out:
        """One citizen message, received: the turn, then its replies delivered or its refusal said."""
        turn = await self.turn(sender, text)
        if turn.refusal:
            return await self.refuse(to, turn)
        return await self.deliver(to, turn.replies)

    async def turn(self, sender: str, text: str) -> Turn:
        if not text.strip():
            return Turn(refusal=EMPTY, status=BAD_REQUEST)
        refusal = too_long(text)
        if refusal:
            return Turn(refusal=refusal, status=TOO_LARGE)
        wait = self.limiter.retry_after(sender)
        if wait:
            return Turn(refusal=TOO_FAST, status=TOO_MANY, retry_after=math.ceil(wait))
        routed = await self.human.route(sender, text)
        if routed is not None:  # a person has the conversation: the message went to them
            return Turn(routed)
        try:
            replies = await self.rasa.send(sender, text)
        except RasaTooFast:
            return Turn(refusal=TOO_FAST, status=TOO_MANY, retry_after=60)
        except RasaUnavailable as exc:
            log.warning("assistant unreachable: %s", exc)
            return Turn(refusal=UNAVAILABLE, status=NOT_NOW)
        if not replies:  # Rasa answered nothing: an action failed (e.g. the action server is down)
            return Turn(refusal=UNAVAILABLE, status=NOT_NOW)
        return Turn(replies)

    @abstractmethod
    async def deliver(self, to: To, replies: List[BotMessage]) -> Out:
        """Render `replies` (the assistant's, or an agent's) for this channel and send them to `to`."""

    @abstractmethod
    async def refuse(self, to: To, turn: Turn) -> Out:
        """Tell the citizen why there is no reply: `turn.refusal`, with `turn.status` and `turn.retry_after`."""

    async def close(self) -> None:
        await self.rasa.close()
