"""Working days: the 差评 deadlines count them, and the human-help desk is staffed on them.

(Public holidays and 调休 working weekends differ by year and are not modelled;
a weekday calendar is what the 好差评 deadlines and the staffed hours need at this stage.)
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Collection

WORKING_WEEKDAYS = frozenset(range(1, 6))  # ISO weekdays: Monday 1 … Friday 5


def is_working_day(day: date, weekdays: Collection[int] = WORKING_WEEKDAYS) -> bool:
    """True on a working day; `weekdays` (ISO, Monday = 1) says which ones are."""
    return day.isoweekday() in weekdays


def add_working_days(start: datetime, days: int) -> datetime:
    """The moment `days` working days after `start` (same time of day)."""
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if is_working_day(current):
            added += 1
    return current


def working_days_between(start: datetime, end: datetime) -> int:
    """Whole working days from `start` to `end` (0 if end is not later)."""
    days, current = 0, start
    while True:
        current += timedelta(days=1)
        if current > end:
            return days
        if is_working_day(current):
            days += 1
