"""Server-side sessions: the browser holds only a random id; everything else is a row here.

The row is keyed by a hash of the id, so the table itself opens no session. A session ends on
logout, after CONSOLE_IDLE_MINUTES without a request, after MAX_AGE whatever happens, and when
its account is disabled or its password reset. Every session carries its CSRF token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from domain_logic.staff.database import StaffDatabase, sessions

MAX_AGE = timedelta(hours=12)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    id: str  # the cookie's value; only the caller holds it
    account_id: Optional[int]
    csrf_token: str
    flash: Optional[str]


class SessionStore:
    def __init__(self, db: StaffDatabase, idle: timedelta) -> None:
        self.db = db
        self.idle = idle

    def start(self, account_id: Optional[int], now: datetime) -> Session:
        """A new session with a fresh id and CSRF token (also at login: a session id is never reused
        across signing in, so one planted before cannot be ridden)."""
        session_id, token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self.db.ready().begin() as conn:
            conn.execute(
                sa.delete(sessions).where(
                    sa.or_(sessions.c.last_seen < now - self.idle, sessions.c.created_at < now - MAX_AGE)
                )
            )
            conn.execute(
                sa.insert(sessions).values(
                    id_hash=_hash(session_id), account_id=account_id, csrf_token=token, created_at=now, last_seen=now
                )
            )
        return Session(session_id, account_id, token, None)

    def get(self, session_id: str, now: datetime) -> Optional[Session]:
        """The live session with this id, its idle clock restarted and its flash message taken; None when
        there is none or it has expired (then it is deleted)."""
        key = _hash(session_id)
        with self.db.ready().begin() as conn:
            row = conn.execute(sa.select(sessions).where(sessions.c.id_hash == key)).first()
            if row is None:
                return None
            if row.last_seen < now - self.idle or row.created_at < now - MAX_AGE:
                conn.execute(sa.delete(sessions).where(sessions.c.id_hash == key))
                return None
            conn.execute(sa.update(sessions).where(sessions.c.id_hash == key).values(last_seen=now, flash=None))
        return Session(session_id, row.account_id, row.csrf_token, row.flash)

    def flash(self, session_id: str, message: str) -> None:
        """A message for the next page this session shows (after a redirect)."""
        with self.db.ready().begin() as conn:
            conn.execute(sa.update(sessions).where(sessions.c.id_hash == _hash(session_id)).values(flash=message))

    def end(self, session_id: str) -> None:
        with self.db.ready().begin() as conn:
            conn.execute(sa.delete(sessions).where(sessions.c.id_hash == _hash(session_id)))
