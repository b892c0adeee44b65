"""The 好差评 report for a period, rendered for staff: a table, a CSV for Excel, PNG charts.

Charts use the WenQuanYi Micro Hei font (Debian: fonts-wqy-microhei; `make fonts` installs it).
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path
from typing import List, Optional, Tuple

from common.privacy import mask_personal_data
from domain_logic.inbox.store import InboxStore
from domain_logic.feedback.report import Report, build_report
from domain_logic.feedback.store import FeedbackStore

FONT_FILES = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",)


def period(start: str, end: str) -> Tuple[datetime, datetime]:
    """YYYY-MM-DD to YYYY-MM-DD, both days whole; ValueError on another format."""
    first = datetime.strptime(start, "%Y-%m-%d")
    last = datetime.strptime(end, "%Y-%m-%d") + timedelta(days=1) - timedelta(microseconds=1)
    return first, last


def load_report(
    store: FeedbackStore,
    inbox: InboxStore,
    start: datetime,
    end: datetime,
    now: datetime,
    item: Optional[str] = None,
    channel: Optional[str] = None,
) -> Report:
    """A period's report from the stores (the command line and the console both ask this)."""
    return build_report(
        store.ratings_since(start, end),
        store.cases(),
        inbox.unanswered_between(start, end),
        start,
        end,
        now,
        item,
        channel,
    )


def render_table(r: Report) -> str:
    lines = [
        f"好差评报告 {r.start:%Y-%m-%d} 至 {r.end:%Y-%m-%d}",
        f"评价总数 {r.total}　满意率 {r.satisfaction_rate:.1%}　差评率 {r.bad_rate:.1%}　平均分 {r.average:.2f}",
        "",
        "差评维度：",
    ]
    lines += [f"  {d:<10} {n:>4}" for d, n in r.by_dimension] or ["  （无）"]
    lines += ["", "事项评价量排名："] + [f"  {i:<28} {n:>4}" for i, n in r.by_volume]
    lines += ["", "事项差评率排名："] + [f"  {i:<28} {p:>6.1%}（{n} 条）" for i, p, n in r.by_bad_rate]
    lines += ["", "逾期差评案件："] + ([f"  案件 {c.id} {c.entry_id} {c.status}" for c in r.overdue] or ["  （无）"])
    lines += ["", "未能回答的高频问题："] + (
        [f"  {n:>3} × {mask_personal_data(t)}" for t, n in r.top_unanswered] or ["  （无）"]
    )
    return "\n".join(lines)


def write_csv(r: Report, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as f:  # BOM, so Excel reads Chinese
        w = csv.writer(f)
        w.writerow(["指标", "值"])
        w.writerows(
            [
                ["评价总数", r.total],
                ["满意率", f"{r.satisfaction_rate:.4f}"],
                ["差评率", f"{r.bad_rate:.4f}"],
                ["平均分", f"{r.average:.2f}"],
                ["逾期差评案件", len(r.overdue)],
            ]
        )
        w.writerow([])
        w.writerow(["事项", "评价量", "差评率"])
        for item, rate, n in r.by_bad_rate:
            w.writerow([item, n, f"{rate:.4f}"])
        w.writerow([])
        w.writerow(["差评维度", "数量"])
        w.writerows(r.by_dimension)


def draw_charts(r: Report, folder: Path) -> List[Path]:
    """Weekly trend and per-item bars, labelled in Chinese."""
    font = next((Path(f) for f in FONT_FILES if Path(f).exists()), None)
    if font is None:
        raise FileNotFoundError("缺少中文字体：请运行 make fonts（安装 fonts-wqy-microhei）")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(font))
    plt.rcParams["font.family"] = font_manager.FontProperties(fname=str(font)).get_name()
    plt.rcParams["axes.unicode_minus"] = False
    folder.mkdir(parents=True, exist_ok=True)

    trend = folder / "weekly_trend.png"
    fig, ax = plt.subplots(figsize=(8, 4))
    weeks = [w for w, _, _ in r.weekly]
    ax.bar(weeks, [n for _, n, _ in r.weekly], color="#9ecae1", label="评价量")
    ax.set_ylabel("评价量")
    ax2 = ax.twinx()
    ax2.plot(weeks, [s * 100 for _, _, s in r.weekly], color="#d62728", marker="o", label="满意率")
    ax2.set_ylabel("满意率（%）")
    ax2.set_ylim(0, 100)
    ax.set_title("好差评每周趋势")
    fig.tight_layout()
    fig.savefig(trend, dpi=120)
    plt.close(fig)

    bars = folder / "items.png"
    fig, ax = plt.subplots(figsize=(8, max(3, 0.4 * len(r.by_volume) + 1)))
    items = [i for i, _ in r.by_volume][::-1]
    ax.barh(items, [n for _, n in r.by_volume][::-1], color="#6baed6")
    ax.set_xlabel("评价量")
    ax.set_title("各事项评价量")
    fig.tight_layout()
    fig.savefig(bars, dpi=120)
    plt.close(fig)
    return [trend, bars]
