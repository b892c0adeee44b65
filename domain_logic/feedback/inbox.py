"""The unanswered-questions inbox: what the bot could not answer well, kept masked for staff.

The action server logs each fallback and low-confidence turn here; `kb inbox` reads the
open ones back and records what staff did with each; the 好差评 report counts the most
asked. Same database and tables as the feedback store (`feedback_unanswered`,
`feedback_inbox_done`, migrated with the rest of its schema), its own store.
"""

from __future__ import annotations

from datetime import datetime
from typing import List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, OperationalError

from common.privacy import mask_personal_data
from domain_logic.feedback.store import FeedbackDatabase, StoreUnavailable, inbox_done, unanswered

# The channel of the staff console's 试一试: staff trying a question, not a citizen asking one (not logged).
STAFF_CHANNEL = "console"


class InboxStore(FeedbackDatabase):
    """Unanswered questions, and what staff did with each."""

    def log_unanswered(
        self, text: str, intent: Optional[str], service: Optional[str], channel: str, now: Optional[datetime] = None
    ) -> None:
        """Keep a question the bot could not answer, masked, for staff to learn from."""
        self._ready()
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    sa.insert(unanswered).values(
                        text=mask_personal_data(text.strip())[:500],
                        intent=intent,
                        service=service,
                        channel=channel,
                        at=now or datetime.now(),
                    )
                )
        except (OperationalError, DBAPIError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    def unanswered_between(self, start: datetime, end: datetime) -> List[dict]:
        return self._fetch(sa.select(unanswered).where(unanswered.c.at.between(start, end)))

    def inbox(self) -> List[dict]:
        """Unanswered questions no one has dealt with yet, oldest first."""
        done = sa.select(inbox_done.c.unanswered_id)
        return self._fetch(sa.select(unanswered).where(unanswered.c.id.notin_(done)).order_by(unanswered.c.id))

    def resolve(
        self, ids: Sequence[int], outcome: str, detail: str, operator: str, now: Optional[datetime] = None
    ) -> None:
        """Take questions out of the inbox, saying what was done with them."""
        self._ready()
        try:
            with self.engine.begin() as conn:
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
        except (OperationalError, DBAPIError) as exc:
            raise StoreUnavailable(str(exc)) from exc
