"""The pipeline every relay runs a citizen's message through, whatever the channel.

A relay (the kiosk page, Telegram, next WeChat) receives a message in its own protocol,
hands the text to `Relay.turn`, and renders and delivers what comes back. The turn is the
same everywhere: refuse an empty or oversized message, hold back a sender who sends too
fast, pass the message to the person helping when human help is on (人工帮办), else ask
Rasa, and turn Rasa's failures into a polite word. A channel adds only receive, render and
deliver, in the shape of Rasa's InputChannel/OutputChannel.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import List, Optional

from relays.human_help import HumanHelp
from common.rasa_client import UNAVAILABLE, BotMessage, RasaClient, RasaTooFast, RasaUnavailable, too_long
from common.rate_limit import TOO_FAST, SenderRateLimiter

log = logging.getLogger(__name__)
EMPTY = "请输入您的问题。"
# Why a message got no replies, in HTTP's words (the kiosk answers with them; a chat just says the text).
BAD_REQUEST, TOO_LARGE, TOO_MANY, NOT_NOW = 400, 413, 429, 503


@dataclass(frozen=True)
class Turn:
    """What one citizen message came to: replies to render, or a refusal to say."""

    replies: List[BotMessage] = field(default_factory=list)
    refusal: Optional[str] = None
    status: int = 200
    retry_after: Optional[int] = None  # seconds, when the citizen sent too fast


class Relay:
    """The shared part of every channel: limits, the human-help divert and the Rasa call."""

    def __init__(self, rasa: RasaClient, human: Optional[HumanHelp] = None) -> None:
        self.rasa = rasa
        self.human = human or HumanHelp(rasa)
        self.limiter = SenderRateLimiter()

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
