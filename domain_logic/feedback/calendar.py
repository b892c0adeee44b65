"""Working-day arithmetic for 差评 deadlines: weekends do not count.

(Public holidays and 调休 working weekends differ by year and are not modelled;
a weekend-aware calendar is what the 好差评 deadlines need at this stage.)
"""
from __future__ import annotations

from datetime import datetime, timedelta


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment `days` working days after `start` (same time of day)."""
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


def working_days_between(start: datetime, end: datetime) -> int:
    """Whole working days from `start` to `end` (0 if end is not later)."""
    days, current = 0, start
    while True:
        current += timedelta(days=1)
        if current > end:
            return days
        if current.weekday() < 5:
            days += 1
