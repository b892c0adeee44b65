"""One persistence layer for every store: one engine per URL, one registry of schemas, one migration
mechanism (versioned steps, safe on a database an older version made without a version table, and
when several threads open a new database at once)."""

from __future__ import annotations

import threading

import sqlalchemy as sa

import pytest

from common.database import SCHEMAS, Database, Schema, StoreUnavailable, migrate, open_engine
from domain_logic.handover.store import SCHEMA as HANDOVER, HandoverStore


def test_a_database_made_before_versioning_keeps_its_rows_and_gets_its_version(tmp_path):
    url = f"sqlite:///{tmp_path / 'handover.db'}"
    engine = open_engine(url)
    HANDOVER.metadata.create_all(engine, tables=list(HANDOVER.steps[0]))  # as the old create_tables did
    old = HandoverStore(url)
    ticket = old.queue("citizen", "kiosk", {"question": "办护照"})
    assert migrate(engine, HANDOVER) == 1  # the store's own first use already recorded version 1
    assert HandoverStore(url).get(ticket.id) is not None
    with engine.connect() as conn:
        assert conn.execute(sa.text("select version from handover_schema_version")).scalars().all() == [1]


def test_a_new_step_is_applied_once_even_when_threads_race(tmp_path):
    metadata = sa.MetaData()
    first = sa.Table("notes", metadata, sa.Column("id", sa.Integer, primary_key=True))
    later = sa.Table("tags", metadata, sa.Column("id", sa.Integer, primary_key=True))
    engine = open_engine(f"sqlite:///{tmp_path / 'notes.db'}")
    assert migrate(engine, Schema("notes", metadata, ((first,),))) == 0
    upgraded = Schema("notes", metadata, ((first,), (later,)))
    threads = [threading.Thread(target=migrate, args=(engine, upgraded)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(sa.inspect(engine).get_table_names()) >= {"notes", "tags"}
    with engine.connect() as conn:
        assert conn.execute(sa.text("select version from notes_schema_version")).scalars().all() == [1, 2]


def test_every_store_registers_its_schema_and_shares_one_engine_per_url(tmp_path):
    import common.spool  # noqa: F401  the stores' modules declare their schemas
    import domain_logic.checklist.store  # noqa: F401
    import domain_logic.feedback.store  # noqa: F401
    import domain_logic.inbox.store  # noqa: F401
    import domain_logic.staff.database  # noqa: F401
    from domain_logic.feedback.store import FeedbackStore
    from domain_logic.inbox.store import InboxStore

    assert {"feedback", "inbox", "checklist", "handover", "staff", "spool"} <= set(SCHEMAS)
    url = f"sqlite:///{tmp_path / 'one.db'}"
    feedback, inbox, help_desk = FeedbackStore(url), InboxStore(url), HandoverStore(url)
    assert feedback.engine is inbox.engine is help_desk.engine  # one pool for the one file
    feedback.add_rating(entry_id="passport", rating=5, channel="kiosk", sender_id="a")
    inbox.log_unanswered("养蜂要办什么证", None, None, "kiosk")
    help_desk.queue("a", "kiosk", {})
    tables = set(sa.inspect(feedback.engine).get_table_names())
    assert {"feedback_ratings", "feedback_unanswered", "handover_tickets"} <= tables


def test_another_store_may_not_take_a_schema_name():
    with pytest.raises(ValueError, match="feedback"):
        Schema("feedback", sa.MetaData(), ())


def test_an_unreachable_database_is_store_unavailable_not_a_driver_error():
    db = Database("postgresql://nobody@127.0.0.1:1/none", HANDOVER)
    with pytest.raises(StoreUnavailable):
        db.ready()
