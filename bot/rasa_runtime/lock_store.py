"""One conversation's messages, one at a time, across every Rasa server of the cluster.

Rasa 3.6's RedisLockStore issues a ticket by reading the ticket list, changing it and
writing it back: two servers taking two messages of one conversation at the same moment
both proceeded, and one turn was lost from the tracker (tests/test_cluster.py). Here the
ticket changes happen under a Redis mutex (SET NX with expiry).
"""
from __future__ import annotations

import logging

import redis
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

from bot.rasa_runtime import startup

logger = logging.getLogger(__name__)


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis lock store, with ticket changes done under a Redis mutex (SET NX with expiry)."""

    def __init__(self, endpoint_config=None, **kwargs) -> None:
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
