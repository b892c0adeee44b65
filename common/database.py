"""One way to open a database, for every store of ours (feedback, checklists, spool, Rasa's tracker)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

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


@dataclass(frozen=True)
class Schema:
    """A store's tables, as the steps that brought them to today: step N takes the schema from
    version N-1 to N. Append a step, never edit one. The version is kept in `<name>_schema_version`."""

    name: str
    metadata: sa.MetaData
    steps: Sequence[Sequence[sa.Table]]

    @property
    def version_table(self) -> sa.Table:
        table_name = f"{self.name}_schema_version"
        if table_name in self.metadata.tables:
            return self.metadata.tables[table_name]
        return sa.Table(table_name, self.metadata, sa.Column("version", sa.Integer, nullable=False))


def migrate(engine: sa.engine.Engine, schema: Schema) -> int:
    """Bring `schema` to its last step on `engine`; returns the version it was at. The one way every
    store of ours creates and upgrades its tables.

    Several threads or processes may open a new database at once (the action server's request
    and its spool drain, two servers starting together): whoever loses the race finds the schema
    made by the other, and that is not an error.
    """
    versions = schema.version_table
    with _creating:
        try:
            with engine.begin() as conn:
                versions.create(conn, checkfirst=True)
                current = conn.execute(sa.select(sa.func.max(versions.c.version))).scalar() or 0
                for version in range(current + 1, len(schema.steps) + 1):
                    for table in schema.steps[version - 1]:
                        table.create(conn, checkfirst=True)
                    conn.execute(sa.insert(versions).values(version=version))
                return current
        except (sa.exc.OperationalError, sa.exc.ProgrammingError, sa.exc.IntegrityError):
            with engine.connect() as conn:
                reached = conn.execute(sa.select(sa.func.max(versions.c.version))).scalar() or 0
            if reached < len(schema.steps):
                raise
            return reached


_creating = threading.Lock()


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe against a crash of the process; at checkpoints on disk
    cursor.close()
