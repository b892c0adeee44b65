"""Working days: the 差评 deadlines count them, and the human-help desk is staffed on them.

The weekdays, less the public holidays (CLOSED_DATES), plus the 调休 weekend days
(EXTRA_WORKING_DATES): both change every year with the State Council's notice, so the
operator enters them as settings rather than the code guessing them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Collection

from common import settings

WORKING_WEEKDAYS = frozenset(range(1, 6))  # ISO weekdays: Monday 1 … Friday 5


def is_working_day(day: date, weekdays: Collection[int] = WORKING_WEEKDAYS) -> bool:
    """True on a working day; `weekdays` (ISO, Monday = 1) says which ones are, the holiday notice
    says which of them are not and which weekend days are."""
    if isinstance(day, datetime):
        day = day.date()  # a datetime never equals the date it falls on
    if day in settings.extra_working_dates():
        return True
    return day.isoweekday() in weekdays and day not in settings.closed_dates()


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
