"""Drafts: a change to a knowledge-base entry that waits for a second pair of eyes.

A draft holds only its changes (field, before, after) against the published file, never a copy
of the entry: the published file stays the one truth, and a draft whose `before` no longer
matches it is out of date rather than silently laid over a newer change. A draft is published
by someone with the 审核 role who is not its author (console/pages/kb.py does the writing,
through knowledge_base.source.save_entry and its audit trail).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import List, Optional

import sqlalchemy as sa

from domain_logic.staff.accounts import Account
from domain_logic.staff.database import StaffDatabase, drafts
from knowledge_base.audit import Change

OPEN, PUBLISHED, REJECTED, WITHDRAWN = "草稿", "已发布", "已退回", "已撤回"


class FourEyes(PermissionError):
    """The author of a draft may not publish it."""


@dataclass(frozen=True)
class Draft:
    id: int
    entry_id: str
    author_id: int
    author: str
    changes: List[Change]
    note: str
    status: str
    created_at: datetime
    updated_at: datetime
    decided_by: Optional[str]
    decided_at: Optional[datetime]
    decision_note: Optional[str]

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


def _draft(row) -> Draft:
    m = row._mapping
    changes = [Change(c["field"], c["before"], c["after"]) for c in json.loads(m["changes"])]
    return Draft(
        m["id"],
        m["entry_id"],
        m["author_id"],
        m["author"],
        changes,
        m["note"] or "",
        m["status"],
        m["created_at"],
        m["updated_at"],
        m["decided_by"],
        m["decided_at"],
        m["decision_note"],
    )


class DraftStore:
    def __init__(self, db: StaffDatabase) -> None:
        self.db = db

    def _find(self, *where) -> List[Draft]:
        with self.db.ready().connect() as conn:
            return [_draft(r) for r in conn.execute(sa.select(drafts).where(*where).order_by(drafts.c.id))]

    def get(self, draft_id: int) -> Optional[Draft]:
        found = self._find(drafts.c.id == draft_id)
        return found[0] if found else None

    def open_drafts(self, entry_id: Optional[str] = None) -> List[Draft]:
        where = [drafts.c.status == OPEN] + ([drafts.c.entry_id == entry_id] if entry_id else [])
        return self._find(*where)

    def own_open(self, entry_id: str, author: Account) -> Optional[Draft]:
        """The author's open draft of this entry (one per author and entry: editing again updates it)."""
        found = self._find(drafts.c.status == OPEN, drafts.c.entry_id == entry_id, drafts.c.author_id == author.id)
        return found[-1] if found else None

    def save(self, entry_id: str, author: Account, changes: List[Change], note: str, now: datetime) -> Draft:
        """Keep the author's changes to an entry as their draft (a new one, or their open one updated)."""
        payload = json.dumps(
            [{"field": c.field, "before": c.before, "after": c.after} for c in changes], ensure_ascii=False
        )
        existing = self.own_open(entry_id, author)
        with self.db.ready().begin() as conn:
            if existing:
                conn.execute(
                    sa.update(drafts)
                    .where(drafts.c.id == existing.id)
                    .values(changes=payload, note=note, updated_at=now)
                )
                draft_id = existing.id
            else:
                draft_id = conn.execute(
                    sa.insert(drafts).values(
                        entry_id=entry_id,
                        author_id=author.id,
                        author=author.display_name,
                        changes=payload,
                        note=note,
                        status=OPEN,
                        created_at=now,
                        updated_at=now,
                    )
                ).inserted_primary_key[0]
        draft = self.get(draft_id)
        assert draft is not None
        return draft

    def check_publisher(self, draft: Draft, reviewer: Account) -> None:
        """Four eyes: an 审核 who is not the author."""
        if not reviewer.may("reviewer"):
            raise FourEyes("只有审核人员可以发布")
        if reviewer.id == draft.author_id:
            raise FourEyes("不能发布自己编写的草稿：需要另一位审核人员发布（双人复核）")

    def decide(self, draft: Draft, status: str, by: Account, note: str, now: datetime) -> None:
        """Close a draft: published or rejected (by a reviewer other than its author), or withdrawn by its author."""
        if status in (PUBLISHED, REJECTED):
            self.check_publisher(draft, by)
        elif status == WITHDRAWN and by.id != draft.author_id:
            raise FourEyes("只有作者可以撤回自己的草稿")
        with self.db.ready().begin() as conn:
            updated = conn.execute(
                sa.update(drafts)
                .where(drafts.c.id == draft.id, drafts.c.status == OPEN)
                .values(status=status, decided_by=by.display_name, decided_at=now, decision_note=note)
            ).rowcount
        if not updated:
            raise ValueError("这份草稿已经处理过了")
