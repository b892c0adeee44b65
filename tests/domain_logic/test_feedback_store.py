"""The 好差评 store on SQLite and on the real PostgreSQL, and the 差评 case workflow."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import sqlalchemy as sa

from domain_logic.calendar import add_working_days, working_days_between
from domain_logic.inbox.store import InboxStore
from domain_logic.feedback.store import (
    SCHEMA,
    FeedbackStore,
    InvalidTransition,
    StoreUnavailable,
    ratings,
)
from tools.feedback import cli

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
WEDNESDAY = datetime(2026, 11, 25, 10, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        yield FeedbackStore(f"sqlite:///{tmp_path / 'feedback.db'}")
        return
    name = f"feedback_test_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    store = FeedbackStore(f"postgresql://postgres@127.0.0.1:5432/{name}")
    try:
        yield store
    finally:
        store.engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name}")
        admin.dispose()


def test_working_days_skip_weekends():
    friday = datetime(2026, 11, 27, 16, 0)
    assert add_working_days(friday, 1) == datetime(2026, 11, 30, 16, 0)  # Monday
    assert add_working_days(WEDNESDAY, 15) == datetime(2026, 12, 16, 10, 0)
    assert working_days_between(friday, datetime(2026, 12, 1, 17, 0)) == 2


def test_deadlines_do_not_count_public_holidays_but_count_makeup_working_days(monkeypatch):
    monkeypatch.setenv("CLOSED_DATES", "2026-10-01..2026-10-08")
    monkeypatch.setenv("EXTRA_WORKING_DATES", "2026-10-11")
    assert add_working_days(datetime(2026, 9, 30, 10, 0), 1) == datetime(2026, 10, 9, 10, 0)  # after 国庆
    assert add_working_days(datetime(2026, 10, 9, 10, 0), 1) == datetime(2026, 10, 11, 10, 0)  # a 调休 Sunday


def test_migration_creates_the_schema_once(store):
    assert store.migrate() == 0
    assert store.migrate() == len(SCHEMA.steps)  # already current: nothing to do
    with store.engine.connect() as conn:
        versions = conn.execute(sa.text("select version from feedback_schema_version")).scalars().all()
    assert versions == list(range(1, len(SCHEMA.steps) + 1))


def test_migration_upgrades_an_older_database(store):
    with store.engine.begin() as conn:  # a deployment still at version 1, with a rating in it
        SCHEMA.version_table.create(conn)
        for table in SCHEMA.steps[0]:
            table.create(conn)
        conn.execute(sa.insert(SCHEMA.version_table).values(version=1))
        conn.execute(
            sa.insert(ratings).values(
                idempotency_key="old",
                entry_id="passport",
                rating=5,
                channel="rest",
                sender_key="x",
                created_at=WEDNESDAY,
            )
        )
    assert store.migrate() == 1
    inbox = InboxStore(str(store.engine.url))
    inbox.log_unanswered("我的身份证110105199001010123丢了怎么办理那个", "ask_process", None, "rest")
    inbox.engine.dispose()  # the fixture drops the PostgreSQL database afterwards
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ratings)).scalar() == 1  # kept
        [text] = conn.execute(sa.text("select text from feedback_unanswered")).scalars().all()
    assert "110105********0123" in text


def test_a_good_rating_is_stored_without_the_raw_sender_or_a_case(store):
    rid = store.add_rating(entry_id="passport", rating=5, channel="telegram", sender_id="tg-42")
    with store.engine.connect() as conn:
        row = conn.execute(sa.select(ratings).where(ratings.c.id == rid)).one()._mapping
    assert (row["entry_id"], row["rating"], row["channel"]) == ("passport", 5, "telegram")
    assert "tg-42" not in row["sender_key"] and len(row["sender_key"]) == 64
    assert store.cases() == []


def test_a_bad_rating_opens_a_case_with_working_day_deadlines(store):
    store.add_rating(
        entry_id="passport",
        rating=1,
        channel="kiosk",
        sender_id="k1",
        dimension="办事效率",
        comment="等了很久，电话13800138000",
        callback_phone="13800138000",
        now=WEDNESDAY,
    )
    [case] = store.cases()
    assert case.status == "待回访" and case.dimension == "办事效率"
    assert case.callback_due == datetime(2026, 11, 26, 10, 0)
    assert case.rectify_due == datetime(2026, 12, 16, 10, 0)
    assert case.phone == "138****8000" and "13800138000" not in case.comment
    assert not case.overdue(datetime(2026, 11, 26, 9, 0))
    assert case.overdue(datetime(2026, 11, 26, 11, 0))


def test_case_workflow_and_history(store):
    store.add_rating(entry_id="passport", rating=2, channel="rest", sender_id="a", now=WEDNESDAY)
    case_id = store.cases()[0].id
    store.move(case_id, "整改中", "张三", "已电话联系")
    with pytest.raises(InvalidTransition):
        store.move(case_id, "已回访", "张三", "跳过整改")
    store.move(case_id, "已整改", "李四", "更新了办事指南")
    closed = store.move(case_id, "已回访", "张三", "群众表示满意")
    assert closed.status == "已回访" and not closed.overdue(datetime(2030, 1, 1))
    steps = [(h["from_status"], h["to_status"], h["actor"]) for h in store.history(case_id)]
    assert steps == [
        (None, "待回访", "system"),
        ("待回访", "整改中", "张三"),
        ("整改中", "已整改", "李四"),
        ("已整改", "已回访", "张三"),
    ]


def test_appeal_goes_to_review(store):
    store.add_rating(entry_id="passport", rating=1, channel="rest", sender_id="a")
    case_id = store.cases()[0].id
    store.move(case_id, "申诉", "王五", "评价与事实不符")
    assert store.move(case_id, "复核结果", "科长", "申诉成立").status == "复核结果"


def test_retried_request_is_stored_once(store):
    first = store.add_rating(entry_id="passport", rating=1, channel="rest", sender_id="a", idempotency_key="k-1")
    second = store.add_rating(entry_id="passport", rating=1, channel="rest", sender_id="a", idempotency_key="k-1")
    assert first == second and len(store.cases()) == 1


def test_follow_up_rating_links_to_the_first_once(store):
    first = store.add_rating(entry_id="passport", rating=2, channel="rest", sender_id="a")
    assert store.rating_open_to_follow_up("a") == {"id": first, "entry_id": "passport"}
    assert store.rating_open_to_follow_up("someone-else") is None
    store.add_rating(entry_id="passport", rating=4, channel="rest", sender_id="a", follow_up_of=first)
    assert len(store.cases()) == 1  # a 追评 opens no second case
    assert store.rating_open_to_follow_up("a") is None  # and there is only one


def test_concurrent_ratings_all_arrive(store):
    store.migrate()

    def rate(i: int) -> int:
        return store.add_rating(entry_id="passport", rating=1 + i % 5, channel="rest", sender_id=f"s{i}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(rate, range(80)))
    assert len(set(ids)) == 80
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(ratings)).scalar() == 80


def test_store_down_raises_instead_of_pretending():
    down = FeedbackStore("postgresql://postgres@127.0.0.1:1/nowhere")
    with pytest.raises(StoreUnavailable):
        down.add_rating(entry_id="passport", rating=5, channel="rest", sender_id="a")


def test_staff_cli_lists_moves_and_refuses_bad_steps(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'f.db'}"
    FeedbackStore(url).add_rating(
        entry_id="passport",
        rating=1,
        channel="rest",
        sender_id="a",
        callback_phone="13800138000",
        now=datetime(2020, 1, 6, 9, 0),
    )
    assert cli.main(["--db", url, "cases", "--overdue"]) == 0
    out = capsys.readouterr().out
    assert "passport" in out and "是" in out
    assert cli.main(["--db", url, "close", "1", "--note", "回访满意", "--by", "张三"]) == 0
    assert "已回访" in capsys.readouterr().out
    assert cli.main(["--db", url, "move", "1", "整改中", "--note", "x", "--by", "张三"]) == 1
    assert "只能转为" in capsys.readouterr().err
    assert cli.main(["--db", url, "show", "1"]) == 0
    shown = capsys.readouterr().out
    assert "138****8000" in shown and "13800138000" not in shown and "张三" in shown
