"""好差评 figures for a period: what staff report upwards and act on.

Pure computation over rows from the store, so the numbers are testable on a
seeded data set; `python -m tools.feedback report` prints them, exports CSV and draws charts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Dict, List, Optional, Sequence, Tuple

from domain_logic.feedback.store import BAD, Case


@dataclass(frozen=True)
class Report:
    start: datetime
    end: datetime
    total: int
    satisfaction_rate: float  # 5 and 4, over all
    bad_rate: float  # 2 and 1, over all
    average: float
    by_dimension: Tuple[Tuple[str, int], ...]
    by_volume: Tuple[Tuple[str, int], ...]
    by_bad_rate: Tuple[Tuple[str, float, int], ...]  # (item, 差评率, volume)
    weekly: Tuple[Tuple[str, int, float], ...]  # (ISO week, ratings, satisfaction rate)
    overdue: Tuple[Case, ...]
    top_unanswered: Tuple[Tuple[str, int], ...]


def build_report(
    ratings: Sequence[dict],
    cases: Sequence[Case],
    unanswered: Sequence[dict],
    start: datetime,
    end: datetime,
    now: datetime,
    item: Optional[str] = None,
    channel: Optional[str] = None,
) -> Report:
    """Figures over first ratings (a 追评 is not counted twice) in [start, end]."""
    rows = [
        r
        for r in ratings
        if r["follow_up_of"] is None
        and start <= r["created_at"] <= end
        and (item is None or r["entry_id"] == item)
        and (channel is None or r["channel"] == channel)
    ]
    total = len(rows)
    scores = [r["rating"] for r in rows]
    per_item: Dict[str, List[int]] = defaultdict(list)
    per_week: Dict[str, List[int]] = defaultdict(list)
    for r in rows:
        per_item[r["entry_id"]].append(r["rating"])
        year, week, _ = r["created_at"].isocalendar()
        per_week[f"{year}-W{week:02d}"].append(r["rating"])

    def share(values: List[int], good: bool) -> float:
        if not values:
            return 0.0
        return sum(1 for v in values if (v >= 4 if good else v in BAD)) / len(values)

    dims = Counter(r["dimension"] for r in rows if r["rating"] in BAD and r["dimension"])
    ids = {r["id"] for r in rows}
    questions = Counter(
        u["text"] for u in unanswered if start <= u["at"] <= end and (channel is None or u["channel"] == channel)
    )
    return Report(
        start,
        end,
        total,
        share(scores, True),
        share(scores, False),
        sum(scores) / total if total else 0.0,
        tuple(dims.most_common()),
        tuple(sorted(((i, len(v)) for i, v in per_item.items()), key=lambda p: (-p[1], p[0]))),
        tuple(sorted(((i, share(v, False), len(v)) for i, v in per_item.items()), key=lambda p: (-p[1], -p[2], p[0]))),
        tuple((w, len(v), share(v, True)) for w, v in sorted(per_week.items())),
        tuple(c for c in cases if c.rating_id in ids and c.overdue(now)),
        tuple(questions.most_common(10)),
    )
