"""The 好差评 report on a seeded data set whose figures are known by hand."""

from __future__ import annotations

import csv
from datetime import datetime

import pytest

from domain_logic.feedback.report import build_report
from domain_logic.inbox.store import InboxStore
from domain_logic.feedback.store import FeedbackStore
from tools.feedback import cli

MON = datetime(2026, 11, 2, 10, 0)  # ISO week 45
NEXT_MON = datetime(2026, 11, 9, 10, 0)  # ISO week 46


@pytest.fixture
def seeded(tmp_path):
    """10 first ratings and 1 追评: passport 5,5,4,2 · id-card-renewal 3,1,1 · marriage 4,5,2."""
    store = FeedbackStore(f"sqlite:///{tmp_path / 'f.db'}")
    seed = [
        ("passport", 5, None, MON),
        ("passport", 5, None, MON),
        ("passport", 4, None, NEXT_MON),
        ("passport", 2, "办事效率", NEXT_MON),
        ("id-card-renewal", 3, None, MON),
        ("id-card-renewal", 1, "办事指南精确度", MON),
        ("id-card-renewal", 1, "办事效率", NEXT_MON),
        ("marriage-registration", 4, None, MON),
        ("marriage-registration", 5, None, NEXT_MON),
        ("marriage-registration", 2, "服务态度", NEXT_MON),
    ]
    ids = [
        store.add_rating(
            entry_id=e, rating=r, channel="kiosk" if e == "passport" else "rest", sender_id=f"s{i}", dimension=d, now=t
        )
        for i, (e, r, d, t) in enumerate(seed)
    ]
    store.add_rating(entry_id="passport", rating=5, channel="kiosk", sender_id="s3", follow_up_of=ids[3], now=NEXT_MON)
    for text in ["能帮我挂号吗", "能帮我挂号吗", "电话13800138000打不通"]:
        InboxStore(str(store.engine.url)).log_unanswered(text, "out_of_scope", None, "rest", now=MON)
    return store


def test_figures_match_the_hand_count(seeded):
    start, end = datetime(2026, 11, 1), datetime(2026, 11, 30)
    unanswered = InboxStore(str(seeded.engine.url)).unanswered_between(start, end)
    r = build_report(
        seeded.ratings_since(start, end), seeded.cases(), unanswered, start, end, now=datetime(2026, 11, 30)
    )
    assert r.total == 10  # the 追评 is not counted again
    assert r.satisfaction_rate == pytest.approx(5 / 10)  # 5,5,4,4,5
    assert r.bad_rate == pytest.approx(4 / 10)  # 2,1,1,2
    assert r.average == pytest.approx(32 / 10)
    assert r.by_dimension == (("办事效率", 2), ("办事指南精确度", 1), ("服务态度", 1))
    assert r.by_volume[0] == ("passport", 4)
    assert r.by_bad_rate[0] == ("id-card-renewal", pytest.approx(2 / 3), 3)
    assert r.weekly == (("2026-W45", 5, pytest.approx(3 / 5)), ("2026-W46", 5, pytest.approx(2 / 5)))
    assert len(r.overdue) == 4  # no case was handled
    assert r.top_unanswered[0] == ("能帮我挂号吗", 2)


def test_filters_by_item_and_channel(seeded):
    start, end = datetime(2026, 11, 1), datetime(2026, 11, 30)
    rows = seeded.ratings_since(start, end)
    assert build_report(rows, [], [], start, end, end, item="passport").total == 4
    kiosk = build_report(rows, [], [], start, end, end, channel="kiosk")
    assert kiosk.total == 4 and kiosk.bad_rate == pytest.approx(1 / 4)


def test_cli_prints_exports_csv_and_draws_png_charts(seeded, tmp_path, capsys):
    url = str(seeded.engine.url)
    out_csv, charts = tmp_path / "r.csv", tmp_path / "charts"
    code = cli.main(
        [
            "--db",
            url,
            "report",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--csv",
            str(out_csv),
            "--charts",
            str(charts),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "满意率 50.0%" in printed and "差评率 40.0%" in printed
    assert "138****8000" in printed and "13800138000" not in printed
    with out_csv.open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert ["评价总数", "10"] in rows and ["满意率", "0.5000"] in rows
    for name in ("weekly_trend.png", "items.png"):
        data = (charts / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
