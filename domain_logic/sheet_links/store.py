"""The sheets behind their links: `create` when the checklist ends, `page` when a phone opens it,
`revoke` when staff take one back. A link is a random, unguessable token (`secrets`), nothing else."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Optional

import sqlalchemy as sa

from common import settings
from common.database import Database, Schema

OK, EXPIRED, REVOKED, UNKNOWN = "ok", "expired", "revoked", "unknown"
_metadata = sa.MetaData()
links = sa.Table(
    "sheet_links",
    _metadata,
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("page", sa.Text, nullable=False),  # the self-contained HTML page of the sheet
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False, index=True),
    sa.Column("revoked_at", sa.Float),
    sa.Column("revoked_by", sa.String(60)),
)
SCHEMA = Schema("sheet_links", _metadata, ((links,),))


@dataclass(frozen=True)
class Found:
    status: str  # OK, EXPIRED, REVOKED or UNKNOWN
    title: str = ""
    page: str = ""
    expires_at: float = 0.0


class SheetLinks:
    def __init__(self, url: Optional[str] = None) -> None:
        self.db = Database(url or settings.sheet_links_db_url(), SCHEMA)

    def create(self, title: str, page: str, days: Optional[float] = None, now: Optional[float] = None) -> str:
        """A new link's token for this page; old expired pages are deleted on the way."""
        now = now or time.time()
        token = secrets.token_urlsafe(24)
        lifetime = (days if days is not None else settings.sheet_link_days()) * 86400
        with self.db.transaction() as conn:
            conn.execute(sa.delete(links).where(links.c.expires_at < now - 86400))
            conn.execute(
                sa.insert(links).values(
                    token=token, title=title[:200], page=page, created_at=now, expires_at=now + lifetime
                )
            )
        return token

    def find(self, token: str, now: Optional[float] = None) -> Found:
        rows = self.db.rows(sa.select(links).where(links.c.token == token[:64]))
        if not rows:
            return Found(UNKNOWN)
        row = rows[0]
        if row["revoked_at"] is not None:
            return Found(REVOKED, row["title"])
        if (now or time.time()) > row["expires_at"]:
            return Found(EXPIRED, row["title"])
        return Found(OK, row["title"], row["page"], row["expires_at"])

    def revoke(self, token: str, by: str, now: Optional[float] = None) -> bool:
        with self.db.transaction() as conn:
            done = conn.execute(
                sa.update(links)
                .where(links.c.token == token[:64], links.c.revoked_at.is_(None))
                .values(revoked_at=now or time.time(), revoked_by=by[:60])
            )
        return bool(done.rowcount)


def token_of(link: str) -> str:
    """The token of a link as staff paste it (the whole URL, or just the token)."""
    return link.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
