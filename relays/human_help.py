"""What a channel does while a person helps the citizen (人工帮办); the kiosk and Telegram share it.

The design: Rasa is not paused. From the moment the assistant queues a citizen
(actions/human_help.py) until the agent hands them back, the wait runs out or the citizen
leaves, the channel carries the citizen's messages to the handover store instead of to Rasa,
and brings the agent's replies back. Rasa's tracker stays exactly where it was, so after the
handback the assistant goes on from there; a ticket's `resume_with` (/resume_checklist for a
checklist in progress) is sent to Rasa then, so the citizen sees the step they were on. When
no agent took the citizen within HANDOVER_TIMEOUT_SECONDS the channel ends the wait and sends
/request_callback, and the assistant offers a callback.

The kiosk asks for `news` each time its page polls; the Telegram relay for each of its
`watched` chats every HANDOVER_POLL_SECONDS.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, List, Optional, TypeVar

from common.rasa_client import UNAVAILABLE, BotMessage, RasaClient, RasaUnavailable
from common import settings
from domain_logic.handover.store import AGENT, ENDED, RETURNED, HandoverStore

log = logging.getLogger(__name__)
T = TypeVar("T")

HANDED_BACK = "工作人员已结束人工服务，接下来由智能助手继续为您服务。"
BUTTON_DURING_HELP = "工作人员正在为您服务，请直接输入文字与工作人员交流。"
TIMED_OUT = "/request_callback"  # the assistant says the wait ran out and offers a callback
RESTART = "/restart"  # the citizen starts afresh (Telegram's /reset): they leave the queue


class HumanHelp:
    """One channel's side of the handover store."""

    def __init__(self, rasa: RasaClient, store: Optional[HandoverStore] = None) -> None:
        self.rasa = rasa
        self.store = store or HandoverStore()

    @staticmethod
    async def _db(call: Callable[..., T], *args: Any) -> T:
        """A store call off the event loop (a slow database must not hold up the other citizens)."""
        return await asyncio.to_thread(call, *args)

    async def state(self, sender: str) -> Optional[str]:
        """waiting / with_agent while a person is involved, else None."""
        ticket = await self._db(self.store.open_ticket, sender)
        return ticket.state if ticket else None

    async def route(self, sender: str, text: str) -> Optional[List[BotMessage]]:
        """None: the message is for the assistant. Else it went to the agent, and the list is what to show now."""
        if text == RESTART:
            await self.leave(sender)
            return None
        ticket = await self._db(self.store.open_ticket, sender)
        if ticket is None:
            return None
        if text.startswith("/"):  # an old button of the assistant's: it waits for the handback
            return [BotMessage(BUTTON_DURING_HELP)]
        await self._db(self.store.add_citizen_message, ticket.id, text)
        return []

    async def news(self, sender: str) -> List[BotMessage]:
        """The agent's replies not yet shown, and — once — the assistant's word when the help ended."""
        await self._db(self.store.expire_overdue, settings.handover_timeout_seconds(), sender)
        ticket = await self._db(self.store.latest_ticket, sender)
        if ticket is None:
            return []
        news = [BotMessage(m.text, author=AGENT) for m in await self._db(self.store.deliver, ticket.id)]
        if ticket.state in ENDED and ticket.announced_at is None and await self._db(self.store.announce, ticket.id):
            news += await self._assistant_again(sender, ticket.state, ticket.resume_with)
        return news

    async def _assistant_again(self, sender: str, state: str, resume_with: Optional[str]) -> List[BotMessage]:
        said = [BotMessage(HANDED_BACK)] if state == RETURNED else []
        payload = resume_with if state == RETURNED else TIMED_OUT
        if not payload:
            return said
        try:
            return said + await self.rasa.send(sender, payload)
        except RasaUnavailable as exc:
            log.warning("assistant unreachable after the help ended: %s", exc)
            return said + [BotMessage(UNAVAILABLE)]

    async def leave(self, sender: str) -> None:
        """The citizen went away: out of the queue, or away from the agent."""
        await self._db(self.store.leave, sender)

    async def watched(self, channel: str) -> List[str]:
        """The senders of `channel` with a person involved, or with an ending not yet told."""
        return [t.sender_id for t in await self._db(self.store.watched, channel)]
