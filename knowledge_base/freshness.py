"""When each guide was last checked against the rules, and which are due: rules change, guides go stale.

An entry's optional `reviewed: {date: 'YYYY-MM-DD', by: 张三}` is set when a change is published in
the console, or when a reviewer confirms the guide is still right (已复核，无变化).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Dict, List, Optional

from knowledge_base.catalogue import Catalogue, Entry


def stamp(data: Dict[str, Any], by: str, on: date) -> Dict[str, Any]:
    """The entry's data marked as reviewed by `by` on `on` (a copy; the input is left alone)."""
    return {**data, "reviewed": {"date": on.isoformat(), "by": by}}


@dataclass(frozen=True)
class Due:
    entry: Entry
    reviewed_on: Optional[date]  # None: never reviewed
    days: Optional[int]  # since the review


def due_for_review(catalogue: Catalogue, today: date, max_days: int) -> List[Due]:
    """Entries not reviewed within `max_days`, never-reviewed first, then the oldest review first."""
    due = []
    for entry in catalogue.entries():
        on = date.fromisoformat(entry.reviewed_on) if entry.reviewed_on else None
        if on is None or today - on > timedelta(days=max_days):
            due.append(Due(entry, on, (today - on).days if on else None))
    return sorted(due, key=lambda d: (d.reviewed_on or date.min, d.entry.id))
