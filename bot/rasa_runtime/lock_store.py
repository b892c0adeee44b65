"""One conversation's messages, one at a time, in order, without waiting for nothing.

Rasa takes a ticket per message and lets a message through when its ticket is the one served.
Two things are fixed here:

- Rasa 3.6's waiter looks again only every second: 40 messages of one citizen sent together
  took 40 s, although each needs a few tens of milliseconds (bench/one_sender.py). Here a
  release wakes that conversation's waiters on this server at once, and a waiter looks again
  after 20 ms, doubling up to 200 ms, for a release on another server of the cluster.
- Rasa 3.6's RedisLockStore issues a ticket by reading the ticket list, changing it and
  writing it back: two servers taking two messages of one conversation at the same moment
  both proceeded, and one turn was lost from the tracker (tests/tools/test_cluster.py). Here the
  ticket changes happen under a Redis mutex (SET NX with expiry), and a waiter only reads.

endpoints.yml names `bot.rasa_runtime.PromptInMemoryLockStore` (one Rasa server),
deploy/endpoints.cluster.yml `bot.rasa_runtime.AtomicRedisLockStore`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, Optional

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_runtime import startup

logger = logging.getLogger(__name__)

FIRST_LOOK = 0.02  # seconds a waiter waits before it looks again, doubling…
LONGEST_LOOK = 0.2  # …up to this


class PromptLockStore(LockStore):
    """A lock store whose waiters go as soon as their turn comes (see the module's docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._released: Dict[str, asyncio.Event] = {}

    async def _acquire_lock(self, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        """Rasa's loop, waiting for a release instead of a second (`wait_time_in_seconds` is not used).

        Rasa's loop also rewrote the lock after each wait (`update_lock`, dropping expired
        tickets): not needed, a lock read leaves them out, and that write was not under the mutex.
        """
        look = FIRST_LOOK
        while True:
            lock = self.get_lock(conversation_id)
            if not lock:  # expired
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            if not lock.is_locked(ticket):
                return lock
            await self._released_or_after(conversation_id, look)
            look = min(look * 2, LONGEST_LOOK)

    async def _released_or_after(self, conversation_id: str, seconds: float) -> None:
        released = self._released.setdefault(conversation_id, asyncio.Event())
        try:
            await asyncio.wait_for(released.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Rasa's release, then this conversation's waiters on this server look at once."""
        try:
            super().cleanup(conversation_id, ticket_number)
        finally:
            released = self._released.pop(conversation_id, None)
            if released is not None:
                released.set()


class PromptInMemoryLockStore(PromptLockStore, InMemoryLockStore):
    """Rasa's default lock store (one Rasa server), whose waiters go as soon as their turn comes."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None) -> None:
        """Rasa builds a custom lock store from its endpoint config; this one has no options."""
        startup.install()  # as the tracker store does (see startup.py)
        super().__init__()


class AtomicRedisLockStore(PromptLockStore, RedisLockStore):
    """Rasa's Redis lock store, with ticket changes under a Redis mutex and prompt waiters."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        """Rasa builds a custom lock store from its endpoint config (url, port, db, key_prefix…)."""
        startup.install()  # as the tracker store does (see startup.py)
        if endpoint_config is not None:
            options = dict(endpoint_config.kwargs)
            for key in ("port", "db"):
                if key in options:
                    options[key] = int(options[key])
            kwargs = {"host": endpoint_config.url or "localhost", **options, **kwargs}
        super().__init__(**kwargs)

    def _mutex(self, conversation_id: str):
        return self.red.lock(f"{self.key_prefix}mutex:{conversation_id}", timeout=10, blocking_timeout=10)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            with self._mutex(conversation_id):
                return super().issue_ticket(conversation_id, lock_lifetime)
        except redis.exceptions.RedisError as exc:
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        try:
            with self._mutex(conversation_id):
                super().cleanup(conversation_id, ticket_number)
        except redis.exceptions.RedisError:
            logger.warning("could not release the lock of a conversation; it expires by itself")
