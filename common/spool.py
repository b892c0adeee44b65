"""A durable local queue for writes the shared database could not take right now.

When PostgreSQL is unreachable for a moment, a rating or a checklist step is kept
in a SQLite file on the action server's own disk (`var/spool.db`) under its key (a
rating's idempotency key; a checklist's citizen and item), and written to the
database as soon as it answers again: nothing is lost, and the key makes sure
nothing is written twice.
"""
from __future__ import annotations

import json
import logging
import time
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional, Tuple, Type, Union

import sqlalchemy as sa

from common import settings
from common.database import open_engine

logger = logging.getLogger(__name__)

_metadata = sa.MetaData()
pending = sa.Table(
    "spool_pending", _metadata,
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)


class Spool:
    def __init__(self, url: Optional[str] = None) -> None:
        self.engine = open_engine(url or settings.spool_db_url())
        _metadata.create_all(self.engine)

    def put(self, kind: str, key: str, payload: Dict[str, Any]) -> None:
        """Keep one write; the same key again replaces it (a retried request)."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(pending).where((pending.c.kind == kind) & (pending.c.key == key)))
            conn.execute(sa.insert(pending).values(kind=kind, key=key, payload=json.dumps(payload, ensure_ascii=False),
                                                   at=time.time()))

    def waiting(self, kind: str, key_prefix: str = "") -> List[Tuple[str, Dict[str, Any]]]:
        """What waits, oldest first; only keys starting with `key_prefix`, if given."""
        query = sa.select(pending.c.key, pending.c.payload).where(
            (pending.c.kind == kind) & pending.c.key.startswith(key_prefix, autoescape=True))
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(pending.c.at)).all()
        return [(key, json.loads(payload)) for key, payload in rows]

    def forget(self, kind: str, key_prefix: str) -> int:
        """Drop what waits under keys starting with `key_prefix` (a citizen asked to be forgotten)."""
        with self.engine.begin() as conn:
            return conn.execute(sa.delete(pending).where(
                (pending.c.kind == kind) & pending.c.key.startswith(key_prefix, autoescape=True))).rowcount

    def drain(self, kind: str, write: Callable[[Dict[str, Any]], Any],
              unavailable: Union[Type[Exception], Tuple[Type[Exception], ...]]) -> int:
        """Write what waits, oldest first; stop at the first failure. Returns how many went through."""
        done = 0
        for key, payload in self.waiting(kind):
            try:
                write(payload)
            except unavailable:
                break
            with self.engine.begin() as conn:
                conn.execute(sa.delete(pending).where((pending.c.kind == kind) & (pending.c.key == key)))
            done += 1
        if done:
            logger.info("spool: %d %s write(s) reached the database", done, kind)
        return done


@lru_cache(maxsize=None)
def local_spool() -> Spool:
    """The action server's one spool, opened on first use."""
    return Spool()
