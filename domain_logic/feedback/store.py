"""The feedback store: every rating, and a case for every 差评, nothing lost.

One interface over SQLAlchemy, so the default SQLite file and PostgreSQL (via
`DATABASE_URL`) behave the same. The schema of the ratings and cases is declared here
and migrated by the persistence layer (common.database). A rating is committed before
anyone thanks the citizen; if the database is unreachable, `StoreUnavailable` says so and
nothing is pretended.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError, DBAPIError

from common import settings
from common.database import Database, Schema, StoreUnavailable
from common.privacy import mask_personal_data, sender_key
from domain_logic.calendar import add_working_days


RATINGS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
BAD = (1, 2)  # 差评
DIMENSIONS = ("办事效率", "办事指南精确度", "办事便捷度", "平台操作性", "服务态度")
CALLBACK_DAYS, RECTIFY_DAYS = 1, 15

# Case states: 待回访 → 整改中 → 已整改 → 已回访, or 申诉 → 复核结果.
TRANSITIONS = {
    "待回访": ("整改中", "已回访", "申诉"),
    "整改中": ("已整改", "申诉"),
    "已整改": ("已回访",),
    "申诉": ("复核结果",),
    "已回访": (),
    "复核结果": (),
}
OPEN_STATES = ("待回访", "整改中", "已整改", "申诉")

metadata = sa.MetaData()
ERASED = "erased"  # the sender of a rating whose citizen asked to be forgotten
ratings = sa.Table(
    "feedback_ratings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
    sa.Column("entry_id", sa.String(80), nullable=False, index=True),
    sa.Column("rating", sa.Integer, nullable=False),
    sa.Column("dimension", sa.String(20)),
    sa.Column("comment", sa.Text),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("sender_key", sa.String(64), nullable=False, index=True),
    sa.Column("callback_phone", sa.String(20)),  # only with consent; masked wherever shown
    sa.Column("follow_up_of", sa.Integer, sa.ForeignKey("feedback_ratings.id")),  # 追评
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),
)
cases = sa.Table(
    "feedback_cases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("rating_id", sa.Integer, sa.ForeignKey("feedback_ratings.id"), nullable=False, unique=True),
    sa.Column("status", sa.String(10), nullable=False, index=True),
    sa.Column("opened_at", sa.DateTime, nullable=False),
    sa.Column("callback_due", sa.DateTime, nullable=False),
    sa.Column("rectify_due", sa.DateTime, nullable=False),
)
case_history = sa.Table(
    "feedback_case_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("case_id", sa.Integer, sa.ForeignKey("feedback_cases.id"), nullable=False, index=True),
    sa.Column("from_status", sa.String(10)),
    sa.Column("to_status", sa.String(10), nullable=False),
    sa.Column("actor", sa.String(60), nullable=False),
    sa.Column("note", sa.Text),
    sa.Column("at", sa.DateTime, nullable=False),
)

# Each migration takes the schema from version N-1 to N. Append, never edit.
# Steps 2 and 3 made the inbox's tables, which the inbox's own schema now makes (domain_logic/inbox/store.py,
# same table names): they stay as empty steps so that a database at any version upgrades the same way.
SCHEMA = Schema("feedback", metadata, ((ratings, cases, case_history), (), ()))


class InvalidTransition(ValueError):
    pass


@dataclass(frozen=True)
class Case:
    id: int
    rating_id: int
    status: str
    entry_id: str
    rating: int
    dimension: Optional[str]
    comment: Optional[str]
    phone: Optional[str]  # masked
    opened_at: datetime
    callback_due: datetime
    rectify_due: datetime

    def overdue(self, now: datetime) -> bool:
        if self.status not in OPEN_STATES:
            return False
        due = self.callback_due if self.status == "待回访" else self.rectify_due
        return now > due


class FeedbackStore:
    """Ratings (好差评), and the case every 差评 opens with its history."""

    def __init__(self, url: Optional[str] = None) -> None:
        self.db = Database(url or settings.database_url(), SCHEMA)
        self.engine = self.db.engine

    def migrate(self) -> int:
        """Bring the schema to its last step; returns the version it was at."""
        return self.db.migrate()

    def forget(self, sender_id: str) -> int:
        """The citizen asked to be forgotten (删除我的记录): their ratings lose everything that
        points to them (the sender's hash, the comment, the callback number) and keep only the
        score, the item and the date, which the 好差评 figures count. Returns how many."""
        mine = ratings.c.sender_key == sender_key(sender_id)
        with self.db.transaction() as conn:
            return conn.execute(
                sa.update(ratings).where(mine).values(sender_key=ERASED, comment=None, callback_phone=None)
            ).rowcount

    def add_rating(
        self,
        *,
        entry_id: str,
        rating: int,
        channel: str,
        sender_id: str,
        dimension: Optional[str] = None,
        comment: Optional[str] = None,
        callback_phone: Optional[str] = None,
        follow_up_of: Optional[int] = None,
        idempotency_key: Optional[str] = None,
        now: Optional[datetime] = None,
    ) -> int:
        """Commit one rating (and its case, for a 差评); returns the rating id.

        The same idempotency key twice stores one rating (a retried request).
        """
        if rating not in RATINGS:
            raise ValueError(f"rating must be 1–5, got {rating!r}")
        if dimension is not None and dimension not in DIMENSIONS:
            raise ValueError(f"unknown dimension {dimension!r}")
        now = now or datetime.now()
        key = idempotency_key or uuid.uuid4().hex
        row = dict(
            idempotency_key=key,
            entry_id=entry_id,
            rating=rating,
            dimension=dimension,
            comment=mask_personal_data(comment) if comment else None,
            channel=channel,
            sender_key=sender_key(sender_id),
            callback_phone=callback_phone,
            follow_up_of=follow_up_of,
            created_at=now,
        )
        self.db.ready()
        try:
            with self.engine.begin() as conn:
                rating_id = conn.execute(sa.insert(ratings).values(**row)).inserted_primary_key[0]
                if rating in BAD and follow_up_of is None:
                    case_id = conn.execute(
                        sa.insert(cases).values(
                            rating_id=rating_id,
                            status="待回访",
                            opened_at=now,
                            callback_due=add_working_days(now, CALLBACK_DAYS),
                            rectify_due=add_working_days(now, RECTIFY_DAYS),
                        )
                    ).inserted_primary_key[0]
                    conn.execute(
                        sa.insert(case_history).values(
                            case_id=case_id,
                            from_status=None,
                            to_status="待回访",
                            actor="system",
                            note="差评自动立案",
                            at=now,
                        )
                    )
                return rating_id
        except IntegrityError:
            with self.engine.connect() as conn:
                existing = conn.execute(sa.select(ratings.c.id).where(ratings.c.idempotency_key == key)).scalar()
            if existing is None:
                raise
            return existing
        except (OperationalError, DBAPIError) as exc:
            raise StoreUnavailable(str(exc)) from exc

    def ratings_since(self, start: datetime, end: datetime) -> List[dict]:
        return self.db.rows(sa.select(ratings).where(ratings.c.created_at.between(start, end)))

    def _case_query(self):
        return sa.select(
            cases,
            ratings.c.entry_id,
            ratings.c.rating,
            ratings.c.dimension,
            ratings.c.comment,
            ratings.c.callback_phone,
        ).join(ratings, ratings.c.id == cases.c.rating_id)

    @staticmethod
    def _case(m: dict) -> Case:
        phone = mask_personal_data(m["callback_phone"]) if m["callback_phone"] else None
        return Case(
            m["id"],
            m["rating_id"],
            m["status"],
            m["entry_id"],
            m["rating"],
            m["dimension"],
            m["comment"],
            phone,
            m["opened_at"],
            m["callback_due"],
            m["rectify_due"],
        )

    def cases(self, overdue_at: Optional[datetime] = None) -> List[Case]:
        """All cases, or only those overdue at `overdue_at`."""
        found = [self._case(r) for r in self.db.rows(self._case_query().order_by(cases.c.id))]
        return [c for c in found if overdue_at is None or c.overdue(overdue_at)]

    def case(self, case_id: int) -> Optional[Case]:
        rows = self.db.rows(self._case_query().where(cases.c.id == case_id))
        return self._case(rows[0]) if rows else None

    def history(self, case_id: int) -> List[dict]:
        return self.db.rows(
            sa.select(case_history).where(case_history.c.case_id == case_id).order_by(case_history.c.id)
        )

    def move(self, case_id: int, to_status: str, actor: str, note: str = "", now: Optional[datetime] = None) -> Case:
        """One step of the workflow, recorded with who, when and why."""
        now = now or datetime.now()
        with self.db.transaction() as conn:
            status = conn.execute(sa.select(cases.c.status).where(cases.c.id == case_id)).scalar()
            if status is None:
                raise InvalidTransition(f"没有编号为 {case_id} 的案件")
            if to_status not in TRANSITIONS.get(status, ()):
                allowed = "、".join(TRANSITIONS.get(status, ())) or "无（已结案）"
                raise InvalidTransition(f"案件 {case_id} 当前为“{status}”，只能转为：{allowed}")
            conn.execute(sa.update(cases).where(cases.c.id == case_id).values(status=to_status))
            conn.execute(
                sa.insert(case_history).values(
                    case_id=case_id, from_status=status, to_status=to_status, actor=actor, note=note, at=now
                )
            )
        moved = self.case(case_id)
        assert moved is not None  # it was there a moment ago, and cases are never deleted
        return moved

    def rating_open_to_follow_up(self, sender_id: str) -> Optional[dict]:
        """The citizen's latest first rating that has no 追评 yet (one 追评 per rating)."""
        follow_ups = sa.select(ratings.c.follow_up_of).where(ratings.c.follow_up_of.isnot(None))
        query = (
            sa.select(ratings.c.id, ratings.c.entry_id)
            .where(
                ratings.c.sender_key == sender_key(sender_id),
                ratings.c.follow_up_of.is_(None),
                ratings.c.id.notin_(follow_ups),
            )
            .order_by(ratings.c.id.desc())
            .limit(1)
        )
        rows = self.db.rows(query)
        return rows[0] if rows else None
