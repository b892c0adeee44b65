"""One way to open a database, for every store of ours (feedback, checklists, spool, Rasa's tracker)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import sqlalchemy as sa


def open_engine(url: str, future: bool = True) -> sa.engine.Engine:
    """An engine for `url`; a SQLite file's folder is created if missing.

    SQLite connections are kept open in a pool and run in WAL mode (readers never wait
    for a writer, and a commit is not flushed to disk each time), instead of SQLAlchemy
    1.4's default of opening the file anew for every transaction.
    """
    if not url.startswith("sqlite:///"):
        return sa.create_engine(url, future=future, pool_pre_ping=True)
    Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, future=future, poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False}
    )
    sa.event.listen(engine, "connect", _sqlite_wal)
    return engine


def create_tables(metadata: sa.MetaData, engine: sa.engine.Engine) -> None:
    """`metadata`'s tables, created if missing.

    Several threads or processes may open a new database at once (the action server's
    request and its spool drain, two servers starting together): whoever loses the race
    to create a table finds it made, and that is not an error.
    """
    with _creating:
        try:
            metadata.create_all(engine)
        except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError):
            if not set(metadata.tables) <= set(sa.inspect(engine).get_table_names()):
                raise


_creating = threading.Lock()


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe against a crash of the process; at checkpoints on disk
    cursor.close()
