"""Saved checklist progress per citizen, so "继续准备" works days later and after restarts.

Rows are keyed by a salted hash of the sender id, never the raw id, and expire
after `CHECKLIST_TTL_DAYS` (default 30). SQLite by default; any SQLAlchemy URL
(PostgreSQL for a cluster) through `CHECKLIST_DB_URL`.
"""
from __future__ import annotations

import json
import os
import time
from typing import Optional

import sqlalchemy as sa

from actions.checklist.plan import Progress
from actions.database import default_sqlite_url, open_engine
from actions.privacy import sender_key

DEFAULT_TTL_DAYS = 30
PURGE_EVERY_SECONDS = 600  # expired rows are deleted now and then, not on every step

_metadata = sa.MetaData()
progress_table = sa.Table(
    "checklist_progress", _metadata,
    sa.Column("sender_key", sa.String(64), primary_key=True),
    sa.Column("entry_id", sa.String(80), primary_key=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False, index=True),
)


class ProgressStore:
    def __init__(self, url: Optional[str] = None, ttl_days: Optional[float] = None) -> None:
        self.engine = open_engine(url or os.environ.get("CHECKLIST_DB_URL") or default_sqlite_url("checklists.db"))
        _metadata.create_all(self.engine)
        days = ttl_days if ttl_days is not None else float(os.environ.get("CHECKLIST_TTL_DAYS", DEFAULT_TTL_DAYS))
        self.ttl_seconds = days * 86400
        self._next_purge = 0.0

    @staticmethod
    def key(sender_id: str) -> str:
        return sender_key(sender_id)

    def _fresh_after(self) -> float:
        return time.time() - self.ttl_seconds

    def save(self, sender_id: str, progress: Progress) -> None:
        row = {"sender_key": self.key(sender_id), "entry_id": progress.entry_id,
               "state": json.dumps(progress.to_dict(), ensure_ascii=False), "updated_at": time.time()}
        with self.engine.begin() as conn:
            conn.execute(sa.delete(progress_table).where(
                (progress_table.c.sender_key == row["sender_key"]) & (progress_table.c.entry_id == row["entry_id"])))
            conn.execute(sa.insert(progress_table).values(**row))
        if time.monotonic() >= self._next_purge:
            self.purge_expired()

    def load(self, sender_id: str, entry_id: Optional[str] = None) -> Optional[Progress]:
        """The citizen's progress on `entry_id`, or their most recent one; None if expired."""
        query = sa.select(progress_table.c.state).where((progress_table.c.sender_key == self.key(sender_id)) &
                                                        (progress_table.c.updated_at >= self._fresh_after()))
        if entry_id:
            query = query.where(progress_table.c.entry_id == entry_id)
        query = query.order_by(progress_table.c.updated_at.desc()).limit(1)
        with self.engine.connect() as conn:
            state = conn.execute(query).scalar()
        return Progress.from_dict(json.loads(state)) if state else None

    def delete(self, sender_id: str) -> int:
        """Forget everything saved for this citizen; returns how many checklists went."""
        with self.engine.begin() as conn:
            return conn.execute(sa.delete(progress_table).where(
                progress_table.c.sender_key == self.key(sender_id))).rowcount

    def purge_expired(self) -> None:
        self._next_purge = time.monotonic() + PURGE_EVERY_SECONDS
        with self.engine.begin() as conn:
            conn.execute(sa.delete(progress_table).where(progress_table.c.updated_at < self._fresh_after()))
