"""The unanswered-questions inbox: what the bot could not answer well, kept masked for staff.

The action server logs each fallback and low-confidence turn here; `kb inbox` reads the
open ones back and records what staff did with each; the 好差评 report counts the most
asked. Its tables live in the feedback database (DATABASE_URL) under the names they have
always had (`feedback_unanswered`, `feedback_inbox_done`); the schema is the inbox's own.
"""

from __future__ import annotations

from datetime import datetime
from typing import List, Optional, Sequence

import sqlalchemy as sa

from common import settings
from common.database import Database, Schema
from common.privacy import mask_personal_data

metadata = sa.MetaData()

# Questions the bot could not answer (fallbacks), masked: the report's "most asked, not answered".
unanswered = sa.Table(
    "feedback_unanswered",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("intent", sa.String(40)),
    sa.Column("service", sa.String(80)),
    sa.Column("channel", sa.String(20)),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
)

# What staff did with each unanswered question (`kb inbox`): it leaves the inbox once here.
inbox_done = sa.Table(
    "feedback_inbox_done",
    metadata,
    sa.Column("unanswered_id", sa.Integer, sa.ForeignKey("feedback_unanswered.id"), primary_key=True),
    sa.Column("outcome", sa.String(20), nullable=False),  # alias | faq | example | dismissed
    sa.Column("detail", sa.Text),
    sa.Column("operator", sa.String(60), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)

SCHEMA = Schema("inbox", metadata, ((unanswered,), (inbox_done,)))

# The channel of the staff console's 试一试: staff trying a question, not a citizen asking one (not logged).
STAFF_CHANNEL = "console"


class InboxStore:
    """Unanswered questions, and what staff did with each."""

    def __init__(self, url: Optional[str] = None) -> None:
        self.db = Database(url or settings.database_url(), SCHEMA)
        self.engine = self.db.engine

    def log_unanswered(
        self, text: str, intent: Optional[str], service: Optional[str], channel: str, now: Optional[datetime] = None
    ) -> None:
        """Keep a question the bot could not answer, masked, for staff to learn from."""
        with self.db.transaction() as conn:
            conn.execute(
                sa.insert(unanswered).values(
                    text=mask_personal_data(text.strip())[:500],
                    intent=intent,
                    service=service,
                    channel=channel,
                    at=now or datetime.now(),
                )
            )

    def unanswered_between(self, start: datetime, end: datetime) -> List[dict]:
        return self.db.rows(sa.select(unanswered).where(unanswered.c.at.between(start, end)))

    def inbox(self) -> List[dict]:
        """Unanswered questions no one has dealt with yet, oldest first."""
        done = sa.select(inbox_done.c.unanswered_id)
        return self.db.rows(sa.select(unanswered).where(unanswered.c.id.notin_(done)).order_by(unanswered.c.id))

    def resolve(
        self, ids: Sequence[int], outcome: str, detail: str, operator: str, now: Optional[datetime] = None
    ) -> None:
        """Take questions out of the inbox, saying what was done with them."""
        with self.db.transaction() as conn:
            for unanswered_id in ids:
                conn.execute(
                    sa.insert(inbox_done).values(
                        unanswered_id=unanswered_id,
                        outcome=outcome,
                        detail=detail,
                        operator=operator,
                        at=now or datetime.now(),
                    )
                )
