"""A long conversation stays bounded: Rasa keeps and sends only a bounded session, and the citizen notices nothing.

Rasa loads, replays and posts to the action server every event of the current session on
every message (RasaHQ/rasa#6334). The tracker store continues a long conversation in a new
session that carries every slot (bot/rasa_runtime/tracker_store.py); bench/load.py measures the latency.
"""

from __future__ import annotations

import sqlite3
import uuid

import pytest

from helpers import buttons_of, rest, start_rasa, texts

MAX_EVENTS = 30


@pytest.fixture(scope="module")
def short_sessions(action_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("long")
    proc, url = start_rasa(action_server, folder, SESSION_MAX_EVENTS=str(MAX_EVENTS))
    try:
        yield url, folder / "tracker.db"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def button_payload(replies, title: str):
    return next((b["payload"] for b in buttons_of(replies) if b["title"] == title), None)


def sessions_of(tracker_db, sender: str):
    """The stored events of each session, oldest first."""
    with sqlite3.connect(tracker_db) as conn:
        types = [r[0] for r in conn.execute("select type_name from events where sender_id = ? order by id", (sender,))]
    sessions, current = [], []
    for t in types:
        if t == "session_started" and current:
            sessions.append(current)
            current = []
        current.append(t)
    return sessions + [current]


def test_a_long_conversation_is_continued_in_bounded_sessions_that_keep_the_context(short_sessions):
    url, tracker_db = short_sessions
    sender = f"long-{uuid.uuid4().hex[:8]}"
    first = rest(url, sender, "办护照要带什么")
    assert "普通护照签发" in texts(first)
    rate = button_payload(first, "评价本次服务")
    assert rate, "a rating is offered after the first answer"
    stars = rest(url, sender, rate)
    rated = rest(url, sender, buttons_of(stars)[0]["payload"])
    assert rated, "the rating is acknowledged"

    follow_ups = ["要多少钱", "在哪里办", "多久能办好"]
    for i in range(24):
        replies = rest(url, sender, follow_ups[i % 3])
        assert "护照" in texts(replies), f"turn {i}: the service in context is kept: {texts(replies)[:80]}"
        assert not button_payload(replies, "评价本次服务"), "a service already rated is not offered again"

    sessions = sessions_of(tracker_db, sender)
    assert len(sessions) >= 3, "the conversation went on in new sessions"
    longest_turn = 15
    assert all(len(s) < MAX_EVENTS + longest_turn for s in sessions), [len(s) for s in sessions]
