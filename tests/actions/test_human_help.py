"""Human help on the assistant's side, through `rasa run` and the action server as a channel uses them.

The channel's part (routing the citizen's messages to the agent, the timeout, the handback)
is played here by hand on the store, as relays/human_help.py does it; the kiosk and
Telegram tests drive the channels themselves.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import human_help
from actions.human_help import ActionRequestHuman, wait_words
from domain_logic.handover.store import TIMED_OUT, WAITING, HandoverStore
from helpers import as_rasa_words_them, new_sender, rest, texts


@pytest.fixture(scope="module")
def store() -> HandoverStore:
    return HandoverStore()  # the tests' HANDOVER_DB_URL (conftest.py), as the action server has it


def say(rasa_server, sender: str, text: str, channel: str = "kiosk") -> str:
    return texts(rest(rasa_server[0], sender, text, channel=channel))


def test_a_kiosk_citizen_is_queued_with_the_usual_wait_and_a_masked_summary(rasa_server, store):
    sender = new_sender("kiosk-queue")
    say(rasa_server, sender, "办护照要带什么")
    say(rasa_server, sender, "我的电话是13800138000")
    reply = say(rasa_server, sender, "/request_human")
    assert "已为您呼叫工作人员" in reply and "通常等待约" in reply
    ticket = store.open_ticket(sender)
    assert ticket.state == WAITING and ticket.channel == "kiosk" and ticket.resume_with is None
    assert ticket.summary["service"] == "普通护照签发"
    said = [t["text"] for t in ticket.summary["recent"] if t["who"] == "citizen"]
    assert said == ["办护照要带什么", "我的电话是138****8000", "〔按钮〕呼叫工作人员"]
    store.leave(sender)


def test_a_channel_without_live_help_sends_the_citizen_to_the_desk(rasa_server, store):
    sender = new_sender("rest-human")
    reply = say(rasa_server, sender, "转人工", channel="rest")
    assert "服务大厅咨询台" in reply and "12345" in reply
    assert store.latest_ticket(sender) is None


def test_asking_for_a_human_in_the_checklist_keeps_it_and_the_handback_resumes_it(rasa_server, store):
    sender = new_sender("kiosk-checklist")
    assert "是本人办理" in say(rasa_server, sender, "帮我准备一下办护照的材料")
    reply = say(rasa_server, sender, "转人工")
    assert "已为您呼叫工作人员" in reply and "进度已保存" in reply
    ticket = store.open_ticket(sender)
    assert ticket.resume_with == "/resume_checklist"
    checklist = ticket.summary["checklist"]
    assert checklist.startswith("「普通护照签发」材料准备") and "正在问" in checklist
    store.take(ticket.id, "agent-test")
    store.hand_back(ticket.id)
    reply = say(rasa_server, sender, ticket.resume_with)  # what the channel sends on the handback
    assert "继续准备「普通护照签发」" in reply and "是本人办理" in reply
    assert "是否持有旧护照" in say(rasa_server, sender, "本人办理")  # the form goes on from where it was


def test_a_wait_that_ran_out_offers_a_callback_that_becomes_a_ticket_with_the_number(rasa_server, store):
    sender = new_sender("kiosk-timeout")
    say(rasa_server, sender, "转人工")
    ticket = store.open_ticket(sender)
    store.expire_overdue(0, sender_id=sender)  # as the channel does once HANDOVER_TIMEOUT_SECONDS passed
    assert store.announce(ticket.id)
    reply = say(rasa_server, sender, "/request_callback")
    assert "暂时没有工作人员接入" in reply and "是否同意" in reply
    assert "手机号码" in say(rasa_server, sender, "同意")
    reply = say(rasa_server, sender, "13800138000")
    assert "已为您登记回电" in reply and "138****8000" in reply and "13800138000" not in reply
    [callback] = [c for c in store.callbacks() if c.ticket_id == ticket.id]
    assert callback.reason == TIMED_OUT and callback.phone == "13800138000" and callback.masked_phone == "138****8000"


def test_a_callback_declined_leaves_no_ticket(rasa_server, store):
    sender = new_sender("kiosk-decline")
    before = len(store.callbacks())
    assert "是否同意" in say(rasa_server, sender, "请工作人员给我回个电话")
    assert "不登记回电" in say(rasa_server, sender, "不需要")
    assert len(store.callbacks()) == before


def _tracker(channel: str) -> Tracker:
    return Tracker(
        "kiosk-closed",
        {},
        {"intent": {"name": "request_human"}, "entities": [], "text": "转人工"},
        [{"event": "user", "text": "转人工", "input_channel": channel}],
        False,
        None,
        None,
        "action_listen",
    )


def test_outside_staffed_hours_the_assistant_says_so_and_offers_a_callback(monkeypatch):
    today = datetime.now(ZoneInfo("Asia/Shanghai")).isoweekday()
    monkeypatch.setenv("HANDOVER_DAYS", str(today % 7 + 1))  # tomorrow only
    monkeypatch.setenv("HANDOVER_HOURS", "09:00-17:00")
    dispatcher = CollectingDispatcher()
    events = ActionRequestHuman().run(dispatcher, _tracker("kiosk"), {})
    [message] = as_rasa_words_them(dispatcher.messages)
    assert "现在不是人工服务时间" in message["text"] and "09:00–17:00" in message["text"]
    assert {"event": "followup", "name": "callback_form"} in [{k: e.get(k) for k in ("event", "name")} for e in events]


def test_with_the_store_unreachable_the_citizen_is_sent_to_the_desk(monkeypatch):
    monkeypatch.setenv("HANDOVER_DB_URL", "postgresql://postgres@127.0.0.1:1/nowhere")
    human_help.store.cache_clear()
    try:
        dispatcher = CollectingDispatcher()
        assert ActionRequestHuman().run(dispatcher, _tracker("kiosk"), {}) == []
    finally:
        human_help.store.cache_clear()
    [message] = as_rasa_words_them(dispatcher.messages)
    assert "人工服务暂时无法接通" in message["text"] and "12345" in message["text"]


def test_a_wait_is_never_promised_shorter_than_it_is():
    words = [wait_words(s) for s in (5, 30, 31, 60, 61, 150)]
    assert words == ["10 秒", "30 秒", "40 秒", "1 分钟", "2 分钟", "3 分钟"]
