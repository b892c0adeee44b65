"""删除我的记录 erases the citizen's data in every store: checklists, ratings (and those still
spooled), human-help tickets, the conversation in Rasa's tracker store; another citizen's records stay."""

from __future__ import annotations

import sqlite3

import pytest

from domain_logic.feedback.ratings import spooled_key
from domain_logic.handover.store import HandoverStore
from common.privacy import sender_key
from common.spool import Spool
from domain_logic.feedback.store import ERASED, FeedbackStore
from helpers import ActionServer, Conversation, load_agent

CITIZEN, OTHER = "erase-citizen", "another-citizen"


@pytest.fixture()
def stores(tmp_path):
    urls = {
        "feedback": f"sqlite:///{tmp_path / 'feedback.db'}",
        "handover": f"sqlite:///{tmp_path / 'handover.db'}",
        "spool": f"sqlite:///{tmp_path / 'spool.db'}",
    }
    server = ActionServer(tmp_path / "checklists.db", feedback_url=urls["feedback"], HANDOVER_DB_URL=urls["handover"])
    yield server, urls, tmp_path
    server.stop()


def rating(sender: str, key: str) -> dict:
    return dict(
        entry_id="passport",
        rating=1,
        channel="kiosk",
        sender_id=sender,
        dimension="办事效率",
        comment="等了很久，电话13800138000",
        callback_phone="13800138000",
        idempotency_key=key,
    )


def test_the_erase_request_reaches_every_store(stores, event_loop_session):
    server, urls, folder = stores
    feedback = FeedbackStore(urls["feedback"])
    feedback.add_rating(**rating(CITIZEN, "k1"))
    feedback.add_rating(**rating(OTHER, "k2"))
    Spool(urls["spool"]).put("rating", spooled_key(CITIZEN, "k3"), rating(CITIZEN, "k3"))
    handover = HandoverStore(urls["handover"])
    ticket = handover.queue(CITIZEN, "kiosk", {"question": "办护照"})
    handover.add_citizen_message(ticket.id, "我想问护照")
    handover.queue(OTHER, "kiosk", {"question": "办驾照"})

    agent = load_agent(server.url, folder / "tracker.db", ours=True)
    Conversation(agent, event_loop_session, OTHER).say("办护照要带什么")
    conversation = Conversation(agent, event_loop_session, CITIZEN)
    conversation.say("帮我准备一下办护照的材料")
    conversation.say('/checklist_answer{"answer": "本人办理"}')
    reply = conversation.text("删除我的记录")

    assert "1 份准备清单" in reply and "2 条评价" in reply and "1 次人工帮办记录" in reply
    with sqlite3.connect(folder / "checklists.db") as conn:
        assert conn.execute("select count(*) from checklist_progress").fetchone()[0] == 0
    with sqlite3.connect(folder / "feedback.db") as conn:
        rows = conn.execute("select sender_key, comment, callback_phone, rating from feedback_ratings").fetchall()
    # the spooled rating was either written first (then anonymised) or dropped from the spool
    mine = [r for r in rows if r[0] == ERASED]
    assert len(mine) in (1, 2) and all(r[1] is None and r[2] is None and r[3] == 1 for r in mine)
    assert not any(r[0] == sender_key(CITIZEN) for r in rows)
    assert sum(1 for r in rows if r[0] != ERASED and r[1]) == 1  # the other citizen's rating is untouched
    assert Spool(urls["spool"]).waiting("rating") == []
    assert handover.latest_ticket(CITIZEN) is None and handover.messages(ticket.id) == []
    assert handover.latest_ticket(OTHER) is not None
    with sqlite3.connect(folder / "tracker.db") as conn:
        conversations = {r[0] for r in conn.execute("select distinct sender_id from events")}
    assert CITIZEN not in conversations and OTHER in conversations  # the conversation itself is gone

    assert "没有找到您保存的记录" in conversation.text("删除我的记录")
