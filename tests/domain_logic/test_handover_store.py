"""The human-help store on SQLite and on the real PostgreSQL, and the staffed-hours calendar."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Iterator
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from domain_logic.handover.store import (
    AGENT,
    CALLBACK_DONE,
    CALLBACK_OPEN,
    CITIZEN,
    LEFT,
    RETURNED,
    TIMED_OUT,
    WAITING,
    WITH_AGENT,
    HandoverStore,
)
from domain_logic.handover import staffed_hours

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    """Time the test moves by hand: waits are what the test says, not what the machine took."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path, clock) -> Iterator[HandoverStore]:
    if request.param == "sqlite":
        yield HandoverStore(f"sqlite:///{tmp_path / 'handover.db'}", clock=clock)
        return
    name = f"handover_test_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    store = HandoverStore(f"postgresql://postgres@127.0.0.1:5432/{name}", clock=clock)
    try:
        yield store
    finally:
        store.engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE {name}")
        admin.dispose()


SUMMARY = {"service": "普通护照签发", "recent": [{"who": "citizen", "text": "我的身份证号 110105199001011234"}]}


def test_a_citizen_is_queued_once_with_a_masked_summary(store):
    ticket = store.queue("kiosk-a", "kiosk", SUMMARY)
    assert ticket.state == WAITING and ticket.channel == "kiosk"
    assert ticket.summary["recent"][0]["text"] == "我的身份证号 110105********1234"
    assert store.queue("kiosk-a", "kiosk", SUMMARY).id == ticket.id  # asking again keeps the place
    second = store.queue("kiosk-b", "kiosk", {})
    assert store.position(ticket) == 1 and store.position(second) == 2
    assert [t.id for t in store.tickets([WAITING])] == [ticket.id, second.id]


def test_one_agent_takes_a_ticket_and_the_others_cannot(store):
    ticket = store.queue("kiosk-a", "kiosk", {})
    assert store.take(ticket.id, "zhang")
    assert not store.take(ticket.id, "li")
    taken = store.get(ticket.id)
    assert taken.state == WITH_AGENT and taken.agent == "zhang"


def test_messages_both_ways_are_masked_and_each_reply_is_delivered_once(store, clock):
    ticket = store.queue("telegram-1", "telegram", {})
    assert store.reply(ticket.id, "还没接入") is None  # no reply before an agent has it
    store.add_citizen_message(ticket.id, "我的手机 13800138000")
    store.take(ticket.id, "zhang")
    clock.advance(5)
    store.reply(ticket.id, "您好，请问要办什么？")
    store.reply(ticket.id, "请报一下 13912345678")
    shown = store.messages(ticket.id)
    assert [(m.author, m.text) for m in shown] == [
        (CITIZEN, "我的手机 138****8000"),
        (AGENT, "您好，请问要办什么？"),
        (AGENT, "请报一下 139****5678"),
    ]
    assert [m.text for m in store.deliver(ticket.id)] == ["您好，请问要办什么？", "请报一下 139****5678"]
    assert store.deliver(ticket.id) == []
    assert store.get(ticket.id).first_reply_at == shown[1].at


def test_a_handback_is_announced_once(store):
    ticket = store.queue("kiosk-a", "kiosk", {}, resume_with="/resume_checklist")
    assert not store.hand_back(ticket.id)  # only a ticket with an agent can be handed back
    store.take(ticket.id, "zhang")
    assert store.hand_back(ticket.id)
    assert store.open_ticket("kiosk-a") is None
    ended = store.to_announce("kiosk-a")
    assert ended.state == RETURNED and ended.resume_with == "/resume_checklist"
    assert store.announce(ticket.id) and not store.announce(ticket.id)
    assert store.to_announce("kiosk-a") is None


def test_a_wait_past_the_timeout_ends_and_no_agent_can_take_it_then(store, clock):
    early = store.queue("kiosk-a", "kiosk", {})
    clock.advance(30)
    late = store.queue("kiosk-b", "kiosk", {})
    clock.advance(31)
    assert store.expire_overdue(60) == 1
    assert store.get(early.id).state == TIMED_OUT and store.get(late.id).state == WAITING
    assert not store.take(early.id, "zhang")
    clock.advance(30)
    assert store.expire_overdue(60, sender_id="kiosk-other") == 0  # only that citizen's ticket
    assert store.expire_overdue(60, sender_id="kiosk-b") == 1


def test_a_citizen_who_leaves_leaves_the_queue(store):
    ticket = store.queue("kiosk-a", "kiosk", {})
    assert store.leave("kiosk-a").state == LEFT
    assert store.leave("kiosk-a") is None
    assert store.tickets([WAITING]) == [] and store.get(ticket.id).state == LEFT
    assert store.to_announce("kiosk-a") is None  # nobody is there to tell


def test_the_usual_wait_is_the_median_of_recent_waits_or_the_default(store, clock, monkeypatch):
    monkeypatch.setenv("HANDOVER_DEFAULT_WAIT_SECONDS", "45")
    assert store.usual_wait_seconds() == 45
    for wait in (10, 30, 200):
        ticket = store.queue(f"kiosk-{wait}", "kiosk", {})
        clock.advance(wait)
        store.take(ticket.id, "zhang")
    assert store.usual_wait_seconds() == 30


def test_the_pushing_channel_watches_open_and_untold_tickets_of_its_own(store):
    waiting = store.queue("telegram-1", "telegram", {})
    told = store.queue("telegram-2", "telegram", {})
    store.take(told.id, "zhang")
    store.hand_back(told.id)
    store.announce(told.id)
    untold = store.queue("telegram-3", "telegram", {})
    store.take(untold.id, "zhang")
    store.hand_back(untold.id)
    store.queue("kiosk-1", "kiosk", {})
    assert [t.id for t in store.watched("telegram")] == [waiting.id, untold.id]


def test_callback_tickets_show_the_phone_masked_and_are_closed_with_a_note(store):
    callback = store.add_callback("13800138000", "kiosk", TIMED_OUT, SUMMARY)
    assert callback.masked_phone == "138****8000" and callback.state == CALLBACK_OPEN
    assert callback.summary["recent"][0]["text"].endswith("110105********1234")
    assert store.close_callback(callback.id, "zhang", "已回电，市民身份证 110105199001011234 已核实")
    assert not store.close_callback(callback.id, "li", "again")
    done = store.callback(callback.id)
    assert done.state == CALLBACK_DONE and done.done_by == "zhang" and "110105********1234" in done.note
    assert store.callbacks(CALLBACK_OPEN) == [] and [c.id for c in store.callbacks()] == [callback.id]


def test_first_reply_figures(store, clock):
    """Answered in 20 s and in 90 s, one timed out, one left after 5 s (not counted), one still waiting."""
    since = clock.now
    for wait in (20, 90):
        ticket = store.queue(f"kiosk-{wait}", "kiosk", {})
        store.take(ticket.id, "zhang")
        clock.advance(wait)
        store.reply(ticket.id, "您好")
    store.queue("kiosk-timeout", "kiosk", {})
    clock.advance(61)
    store.expire_overdue(60)
    store.queue("kiosk-left", "kiosk", {})
    clock.advance(5)
    store.leave("kiosk-left")
    store.queue("kiosk-waiting", "kiosk", {})
    figures = store.figures(since, clock.now + 1)
    assert (figures.queued, figures.counted, figures.answered_in_time) == (5, 3, 1)
    assert figures.median_first_reply == 55 and figures.share_in_time == pytest.approx(1 / 3)


def test_no_tickets_no_figures(store, clock):
    figures = store.figures(clock.now - 3600, clock.now)
    assert figures.queued == 0 and figures.share_in_time is None and figures.median_first_reply is None


@pytest.mark.parametrize(
    "moment,staffed",
    [
        (datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI), True),  # a Wednesday morning
        (datetime(2026, 12, 2, 17, 0, tzinfo=SHANGHAI), False),  # closing time is closed
        (datetime(2026, 12, 2, 8, 59, tzinfo=SHANGHAI), False),
        (datetime(2026, 12, 5, 10, 0, tzinfo=SHANGHAI), False),  # a Saturday
        (datetime(2026, 12, 2, 2, 0, tzinfo=ZoneInfo("UTC")), True),  # 10:00 in Shanghai
    ],
)
def test_staffed_hours_by_default_are_working_days_nine_to_five_in_shanghai(monkeypatch, moment, staffed):
    for name in ("HANDOVER_DAYS", "HANDOVER_HOURS", "HANDOVER_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    assert staffed_hours.staffed(moment) is staffed
    assert staffed_hours.describe() == "周一至周五 09:00–17:00"


def test_staffed_hours_are_configurable(monkeypatch):
    monkeypatch.setenv("HANDOVER_DAYS", "1-5,7")
    monkeypatch.setenv("HANDOVER_HOURS", "09:00-12:00, 13:30-24:00")
    assert staffed_hours.staffed(datetime(2026, 12, 6, 23, 59, tzinfo=SHANGHAI))  # a Sunday night
    assert not staffed_hours.staffed(datetime(2026, 12, 2, 12, 30, tzinfo=SHANGHAI))  # lunch
    assert not staffed_hours.staffed(datetime(2026, 12, 5, 10, 0, tzinfo=SHANGHAI))  # Saturday
    assert staffed_hours.describe() == "周一至周五、周日 09:00–12:00、13:30–24:00"
    monkeypatch.setenv("HANDOVER_DAYS", "8")
    with pytest.raises(ValueError, match="HANDOVER_DAYS"):
        staffed_hours.staffed()


def test_public_holidays_close_the_desk_and_makeup_working_days_open_it(monkeypatch):
    for name in ("HANDOVER_DAYS", "HANDOVER_HOURS", "HANDOVER_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOSED_DATES", "2026-10-01..2026-10-08, 2027-01-01")
    monkeypatch.setenv("EXTRA_WORKING_DATES", "2026-10-11")
    assert not staffed_hours.staffed(datetime(2026, 10, 5, 10, 0, tzinfo=SHANGHAI))  # a Monday of 国庆
    assert staffed_hours.staffed(datetime(2026, 10, 9, 10, 0, tzinfo=SHANGHAI))  # the Friday after
    assert staffed_hours.staffed(datetime(2026, 10, 11, 10, 0, tzinfo=SHANGHAI))  # a 调休 Sunday
    assert not staffed_hours.staffed(datetime(2027, 1, 1, 10, 0, tzinfo=SHANGHAI))  # New Year, a Friday
    monkeypatch.setenv("CLOSED_DATES", "2026-10-08..2026-10-01")
    with pytest.raises(ValueError, match="CLOSED_DATES"):
        staffed_hours.staffed(datetime(2026, 10, 5, 10, 0, tzinfo=SHANGHAI))
