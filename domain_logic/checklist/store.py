"""Saved checklist progress per citizen, so "继续准备" works days later and after restarts.

Rows are keyed by a salted hash of the sender id, never the raw id, and expire
after `CHECKLIST_TTL_DAYS` (default 30). SQLite by default; any SQLAlchemy URL
(PostgreSQL for a cluster) through `CHECKLIST_DB_URL`.
"""

from __future__ import annotations

import json
import time
from typing import Any, Dict, List, Optional

import sqlalchemy as sa

from domain_logic.checklist.plan import Progress
from common import settings
from common.database import Database, Schema, StoreUnavailable
from common.privacy import sender_key
from common.spool import Spool

SPOOL_KIND = "checklist"
DATABASE_DOWN = (StoreUnavailable, sa.exc.OperationalError, sa.exc.InterfaceError)  # unreachable, not a bug
PURGE_EVERY_SECONDS = 600  # expired rows are deleted now and then, not on every step

_metadata = sa.MetaData()
progress_table = sa.Table(
    "checklist_progress",
    _metadata,
    sa.Column("sender_key", sa.String(64), primary_key=True),
    sa.Column("entry_id", sa.String(80), primary_key=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False, index=True),
)
SCHEMA = Schema("checklist", _metadata, ((progress_table,),))


class ProgressStore:
    """Progress in the shared database; while it is unreachable, in the action server's local spool.

    A step taken during an outage is kept locally and still counts: `load` takes the newest
    of the database row and the spooled one, and `drain` writes the spooled one in once the
    database answers, unless a newer step got there first. Nothing lost, nothing doubled.
    """

    def __init__(
        self, url: Optional[str] = None, ttl_days: Optional[float] = None, spool: Optional[Spool] = None
    ) -> None:
        self.db = Database(url or settings.checklist_db_url(), SCHEMA)
        self.engine = self.db.engine
        self.spool = spool
        days = ttl_days if ttl_days is not None else settings.checklist_ttl_days()
        self.ttl_seconds = days * 86400
        self._next_purge = 0.0

    @staticmethod
    def key(sender_id: str) -> str:
        return sender_key(sender_id)

    def _fresh_after(self) -> float:
        return time.time() - self.ttl_seconds

    def _ready(self) -> None:
        """The table is created on first use, so the action server starts while the database is away."""
        self.db.ready()

    def save(self, sender_id: str, progress: Progress) -> None:
        row = {
            "sender_key": self.key(sender_id),
            "entry_id": progress.entry_id,
            "state": json.dumps(progress.to_dict(), ensure_ascii=False),
            "updated_at": time.time(),
        }
        try:
            self._write(row)
        except DATABASE_DOWN:
            if self.spool is None:
                raise
            self.spool.put(SPOOL_KIND, f"{row['sender_key']}|{row['entry_id']}", row)
            return
        if time.monotonic() >= self._next_purge:
            self.purge_expired()

    def _write(self, row: Dict[str, Any], only_if_newer: bool = False) -> None:
        self._ready()
        same = (progress_table.c.sender_key == row["sender_key"]) & (progress_table.c.entry_id == row["entry_id"])
        with self.engine.begin() as conn:
            if only_if_newer:
                stored_at = conn.execute(sa.select(progress_table.c.updated_at).where(same)).scalar()
                if stored_at is not None and stored_at >= row["updated_at"]:
                    return
            conn.execute(sa.delete(progress_table).where(same))
            conn.execute(sa.insert(progress_table).values(**row))

    def load(self, sender_id: str, entry_id: Optional[str] = None, starting: bool = False) -> Optional[Progress]:
        """The citizen's progress on `entry_id`, or their most recent one; None if expired.

        While the database is away, only the spooled steps are known: a checklist being
        started (`starting`) begins afresh, one in the middle cannot go on (the error rises).
        """
        key = self.key(sender_id)
        rows = self._spooled(key, entry_id)
        try:
            rows += self._stored(key, entry_id)
        except DATABASE_DOWN:
            if not rows and not starting:
                raise
        rows = [r for r in rows if r["updated_at"] >= self._fresh_after()]
        newest = max(rows, key=lambda r: r["updated_at"], default=None)
        return Progress.from_dict(json.loads(newest["state"])) if newest else None

    def _stored(self, key: str, entry_id: Optional[str]) -> List[Dict[str, Any]]:
        self._ready()
        query = sa.select(progress_table.c.state, progress_table.c.updated_at).where(
            (progress_table.c.sender_key == key) & (progress_table.c.updated_at >= self._fresh_after())
        )
        if entry_id:
            query = query.where(progress_table.c.entry_id == entry_id)
        with self.engine.connect() as conn:
            row = conn.execute(query.order_by(progress_table.c.updated_at.desc()).limit(1)).first()
        return [{"state": row.state, "updated_at": row.updated_at}] if row else []

    def _spooled(self, key: str, entry_id: Optional[str]) -> List[Dict[str, Any]]:
        if self.spool is None:
            return []
        return [
            row
            for spooled_key, row in self.spool.waiting(SPOOL_KIND, f"{key}|")
            if entry_id is None or spooled_key == f"{key}|{entry_id}"
        ]

    def drain(self) -> int:
        """Write the steps kept locally during an outage, if the database answers now."""
        if self.spool is None:
            return 0
        return self.spool.drain(SPOOL_KIND, lambda row: self._write(row, only_if_newer=True), DATABASE_DOWN)

    def delete(self, sender_id: str) -> int:
        """Forget everything saved for this citizen, here and in the spool; returns how many checklists went."""
        key = self.key(sender_id)
        entries = {row["entry_id"] for row in self._spooled(key, None)}
        if self.spool:
            self.spool.forget(SPOOL_KIND, f"{key}|")
        self._ready()
        mine = progress_table.c.sender_key == key
        with self.engine.begin() as conn:
            entries |= set(conn.execute(sa.select(progress_table.c.entry_id).where(mine)).scalars())
            conn.execute(sa.delete(progress_table).where(mine))
        return len(entries)

    def purge_expired(self) -> None:
        self._next_purge = time.monotonic() + PURGE_EVERY_SECONDS
        with self.engine.begin() as conn:
            conn.execute(sa.delete(progress_table).where(progress_table.c.updated_at < self._fresh_after()))
