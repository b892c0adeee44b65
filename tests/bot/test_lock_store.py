"""One conversation's messages go one at a time, in order, and the next goes when the last is done.

The stores as Rasa uses them (`async with store.lock(conversation)`), in process; the Redis one
against the Redis of the cluster (127.0.0.1:6379), two stores standing for two Rasa servers.
bench/one_sender.py measures the time; here nothing is timed.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import List

import pytest

from bot.rasa_runtime import lock_store
from bot.rasa_runtime.lock_store import AtomicRedisLockStore, PromptInMemoryLockStore


async def handle_all(stores: List, messages: int) -> List[int]:
    """`messages` messages of one conversation at once, spread over `stores`: the order they were handled in."""
    conversation = f"conv-{uuid.uuid4().hex[:8]}"
    handled: List[int] = []
    busy = []

    async def message(i: int) -> None:
        async with stores[i % len(stores)].lock(conversation):
            assert not busy, "two messages of one conversation at the same time"
            busy.append(i)
            await asyncio.sleep(0.005)  # the turn's work
            handled.append(i)
            busy.pop()

    await asyncio.wait_for(asyncio.gather(*(message(i) for i in range(messages))), timeout=120)
    return handled


def test_a_release_wakes_the_next_message_at_once(monkeypatch):
    """With the fallback look an hour away, only the wake-up on release can let 40 messages through."""
    monkeypatch.setattr(lock_store, "FIRST_LOOK", 3600)
    monkeypatch.setattr(lock_store, "LONGEST_LOOK", 3600)
    handled = asyncio.run(handle_all([PromptInMemoryLockStore()], 40))
    assert handled == list(range(40))  # every one, in the order it came


def test_the_in_memory_store_forgets_a_finished_conversation():
    store = PromptInMemoryLockStore()
    asyncio.run(handle_all([store], 5))
    assert store.conversation_locks == {} and store._released == {}


@pytest.fixture
def redis_stores():
    prefix = f"test{uuid.uuid4().hex[:8]}"  # alphanumeric: Rasa ignores any other prefix
    stores = [AtomicRedisLockStore(host="127.0.0.1", port=6379, db=0, key_prefix=prefix) for _ in range(2)]
    yield stores
    for key in stores[0].red.scan_iter(f"{prefix}:*"):
        stores[0].red.delete(key)


def test_two_servers_take_one_conversations_messages_in_order(redis_stores):
    """A release on one server reaches a waiter on the other by its short look (20 ms doubling to 200 ms)."""
    handled = asyncio.run(handle_all(redis_stores, 20))
    assert handled == list(range(20))
    assert not list(redis_stores[0].red.scan_iter(f"{redis_stores[0].key_prefix}conv-*"))  # no lock left behind
