"""The 差评 cases as staff read them in a terminal: one line per case, its history below."""

from __future__ import annotations

from datetime import datetime
from typing import Iterable

from domain_logic.feedback.store import RATINGS, Case


def case_table(cases: Iterable[Case], now: datetime) -> str:
    lines = [f"{'案件':>4}  {'状态':<4}  {'事项':<26} {'评价':<5} {'维度':<8} {'回访期限':<16} {'整改期限':<16} 逾期"]
    for c in cases:
        lines.append(
            f"{c.id:>4}  {c.status:<4}  {c.entry_id:<26} {RATINGS[c.rating]:<5} {c.dimension or '-':<8} "
            f"{c.callback_due:%Y-%m-%d %H:%M}  {c.rectify_due:%Y-%m-%d %H:%M}  "
            f"{'是' if c.overdue(now) else ''}"
        )
    return "\n".join(lines)
