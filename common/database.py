"""The persistence layer of every store of ours: one engine per URL, one schema registry, one migration.

The stores (feedback, inbox, checklists, human help, staff, the spool, and Rasa's tracker) each
declare a `Schema` and open a `Database` on their URL. By default every URL is the same SQLite
file, var/zhengwu.db (common.settings); a store's own *_DB_URL puts it elsewhere, PostgreSQL
included. Stores on the same URL in one process share one engine and its connection pool.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError


class StoreUnavailable(RuntimeError):
    """The database cannot be reached: nothing was written, and the caller says so or spools."""


def open_engine(url: str, future: bool = True) -> sa.engine.Engine:
    """The engine for `url`, one per URL in this process; a SQLite file's folder is created if missing.

    SQLite connections are kept open in a pool and run in WAL mode (readers never wait
    for a writer, and a commit is not flushed to disk each time), instead of SQLAlchemy
    1.4's default of opening the file anew for every transaction.
    """
    with _registry:
        engine = _engines.get((url, future))
        if engine is None:
            engine = _engines[(url, future)] = _new_engine(url, future)
        return engine


def _new_engine(url: str, future: bool) -> sa.engine.Engine:
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

    def __post_init__(self) -> None:
        """Registered by name; two stores' schemas under one name would share one version count."""
        with _registry:
            known = SCHEMAS.get(self.name)
            if known is not None and known.metadata is not self.metadata:
                raise ValueError(f"two schemas are called {self.name!r}: a store's schema name is its own")
            SCHEMAS[self.name] = self


# Every store's schema by name, as each store's module declares it.
SCHEMAS: Dict[str, Schema] = {}


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


class Database:
    """A store's database: the engine of its URL, and its schema brought up to date on first use,
    so that a process starts while the database is away and says so only when it is used."""

    def __init__(self, url: str, schema: Schema) -> None:
        self.engine = open_engine(url)
        self.schema = schema
        self._migrated = False

    def migrate(self) -> int:
        """Bring the schema to its last step; returns the version it was at."""
        try:
            current = migrate(self.engine, self.schema)
        except (OperationalError, DBAPIError) as exc:
            raise StoreUnavailable(str(exc)) from exc
        self._migrated = True
        return current

    def ready(self) -> sa.engine.Engine:
        """The engine, with the schema migrated."""
        if not self._migrated:
            self.migrate()
        return self.engine

    @contextmanager
    def transaction(self) -> Iterator[sa.engine.Connection]:
        """A write, committed at the end or not at all; an unreachable database as StoreUnavailable
        (a broken constraint stays an IntegrityError: that is the caller's to handle)."""
        engine = self.ready()
        try:
            with engine.begin() as conn:
                yield conn
        except IntegrityError:
            raise
        except (OperationalError, DBAPIError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    def rows(self, query: Any) -> List[dict]:
        """A read as dicts; an unreachable database as StoreUnavailable."""
        engine = self.ready()
        try:
            with engine.connect() as conn:
                return [dict(r._mapping) for r in conn.execute(query)]
        except (OperationalError, DBAPIError) as exc:
            raise StoreUnavailable(str(exc)) from exc


_creating = threading.Lock()  # one migration at a time in this process
_registry = threading.Lock()  # the engines and the schemas
_engines: Dict[Tuple[str, bool], sa.engine.Engine] = {}


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # safe against a crash of the process; at checkpoints on disk
    cursor.close()
