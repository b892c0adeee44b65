"""When a person can take over from the assistant (人工帮办): the one place that decides "staffed now".

The days (HANDOVER_DAYS, working days by default) are those of the working-day calendar the
好差评 deadlines use; the hours (HANDOVER_HOURS) are spans of the day in HANDOVER_TIMEZONE.
"""

from __future__ import annotations

from datetime import datetime
from typing import List, Optional
from zoneinfo import ZoneInfo

from common import settings
from domain_logic.calendar import is_working_day

WEEKDAY_NAMES = "一二三四五六日"


def staffed(moment: Optional[datetime] = None) -> bool:
    """True when `moment` (default: now) falls on a staffed day within the staffed hours."""
    local = (moment or datetime.now(tz=ZoneInfo("UTC"))).astimezone(ZoneInfo(settings.handover_timezone()))
    minute = local.hour * 60 + local.minute
    return is_working_day(local.date(), settings.handover_days()) and any(
        start <= minute < end for start, end in settings.handover_hours()
    )


def describe() -> str:
    """The staffed hours as a citizen reads them: 周一至周五 09:00–17:00."""
    days = settings.handover_days()
    day_text = "每天" if len(days) == 7 else "、".join(_day_runs(sorted(days)))
    hours = "、".join(f"{_clock(start)}–{_clock(end)}" for start, end in settings.handover_hours())
    return f"{day_text} {hours}"


def _day_runs(days: List[int]) -> List[str]:
    """[1, 2, 3, 4, 5, 7] → 周一至周五, 周日 (two days in a row stay two names)."""
    runs: List[List[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    names = []
    for run in runs:
        if len(run) > 2:
            names.append(f"周{WEEKDAY_NAMES[run[0] - 1]}至周{WEEKDAY_NAMES[run[-1] - 1]}")
        else:
            names += [f"周{WEEKDAY_NAMES[d - 1]}" for d in run]
    return names


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
