"""One migration mechanism for every store: versioned steps, safe on a database an older version
made without a version table, and when several threads open a new database at once."""

from __future__ import annotations

import threading

import sqlalchemy as sa

from common.database import Schema, migrate, open_engine
from common.handover import SCHEMA as HANDOVER, HandoverStore


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
