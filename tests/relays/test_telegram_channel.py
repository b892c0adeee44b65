"""The Telegram relay, running python-telegram-bot's real code against a local fake Bot API.

What is asserted is what a citizen would see in Telegram: the text (escaped for
HTML parse mode), the inline keyboard, how long replies are split, the answer
to stickers and edits, and the order of replies.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from typing import Dict, List

import pytest

from helpers import ROOT, free_port
from fake_servers import GOOD_TOKEN, FakeBotAPI, ScriptedRasa
from tools.launch.processes import spawn, telegram_command

TEXT_ONLY = "请用文字提问"
LONG_LINE = "居民身份证原件及复印件一份（复印件需清晰、完整）"


def scripted_reply(message: str) -> List[Dict]:
    """What the fake assistant says to each test message."""
    if message == "办护照要带什么":
        return [
            {
                "recipient_id": "x",
                "text": "办理「普通护照签发」需要：\n1. 居民身份证\n2. 近期免冠照片",
                "buttons": [
                    {"title": "办理流程", "payload": '/ask_process{"service":"passport"}'},
                    {"title": "在哪里办", "payload": '/ask_location{"service":"passport"}'},
                    {"title": "开始准备材料（逐项核对）", "payload": '/start_checklist{"service":"passport"}'},
                    {"title": "委托他人", "payload": '/checklist_answer{"answer": "委托他人代为办理申请"}'},
                ],
            }
        ]
    if message == "长回复":
        return [
            {
                "text": "\n".join(f"{i:03d} {LONG_LINE}" for i in range(200)),
                "buttons": [{"title": "好的", "payload": "/affirm"}],
            }
        ]
    if message == "特殊字符":
        return [{"text": "出生_医学*证明 <b>粗体</b> & [链接](x) a<b"}]
    if message == "清单":  # as Rasa's REST channel sends a message with a custom part: in two
        return [
            {
                "text": "【普通护照签发 · 一次性告知单】\n✓ 居民身份证\n✗ 照片 & 回执",
                "buttons": [{"title": "评价本次服务", "payload": "/give_feedback"}],
            },
            {
                "custom": {
                    "checklist": {
                        "telegram_html": "<b>普通护照签发 · 一次性告知单</b>\n✓ 居民身份证\n✗ 照片 &amp; 回执"
                    }
                }
            },
        ]
    if message.startswith("慢"):
        time.sleep(2)
    return [{"text": f"回复：{message}"}]


class Relay:
    """`python -m relays.telegram` as its own process, as `make telegram` runs it."""

    def __init__(self, api: FakeBotAPI, rasa_url: str, token: str = GOOD_TOKEN, **env: str) -> None:
        self.proc = spawn(
            telegram_command(),
            {"TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": api.url, "RASA_URL": rasa_url, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def wait_ready(self, api: FakeBotAPI, method: str = "setMyCommands") -> "Relay":
        deadline = time.monotonic() + 30
        while not api.called(method):
            assert self.proc.poll() is None, self.proc.stderr.read()
            assert time.monotonic() < deadline, "the relay did not start"
            time.sleep(0.1)
        return self

    def stop(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return err


@pytest.fixture(scope="module")
def telegram():
    api, rasa = FakeBotAPI(), ScriptedRasa(scripted_reply)
    relay = Relay(api, rasa.url).wait_ready(api)
    yield api, rasa
    stderr = relay.stop()
    api.stop()
    rasa.stop()
    assert "Traceback" not in stderr, stderr


def titles(reply: Dict) -> List[List[str]]:
    return [[b["text"] for b in row] for row in reply["reply_markup"]["inline_keyboard"]]


class TelegramHTML(HTMLParser):
    """Checks a text the way Telegram's HTML parse mode reads it; `visible` is what the citizen sees."""

    ALLOWED = {"b", "strong", "i", "em", "u", "s", "code", "pre", "a"}

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: List[str] = []
        self.visible = ""
        self.feed(text)
        self.close()
        assert not self.stack, f"unclosed tags {self.stack}"

    def handle_starttag(self, tag, attrs):
        assert tag in self.ALLOWED, f"Telegram rejects <{tag}>"
        self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, f"misnested </{tag}>"

    def handle_data(self, data):
        self.visible += data


def test_an_answer_arrives_as_html_with_an_inline_keyboard(telegram):
    api, rasa = telegram
    api.message(101, "办护照要带什么")
    [reply] = api.wait_sent(1, chat_id=101)
    assert reply["parse_mode"] == "HTML"
    assert TelegramHTML(reply["text"]).visible == "办理「普通护照签发」需要：\n1. 居民身份证\n2. 近期免冠照片"
    # short titles two to a row, long ones alone, in the assistant's order
    assert titles(reply) == [["办理流程", "在哪里办"], ["开始准备材料（逐项核对）"], ["委托他人"]]
    assert rasa.received[-1] == {"sender": "telegram-101", "message": "办护照要带什么", "input_channel": "telegram"}


def test_pressing_a_button_sends_its_payload_and_acknowledges_the_press(telegram):
    api, rasa = telegram
    api.message(102, "办护照要带什么")
    [reply] = api.wait_sent(1, chat_id=102)
    buttons = [b for row in reply["reply_markup"]["inline_keyboard"] for b in row]
    api.press(102, buttons[0]["callback_data"])
    replies = api.wait_sent(2, chat_id=102)
    assert replies[1]["text"] == html.escape('回复：/ask_process{"service":"passport"}', quote=False)
    assert api.called("answerCallbackQuery"), "the button's spinner must stop"
    # a payload longer than Telegram's 64 bytes still travels whole
    long_one = buttons[3]["callback_data"]
    assert len(long_one.encode()) <= 64
    api.press(102, long_one)
    replies = api.wait_sent(3, chat_id=102)
    assert rasa.received[-1]["message"] == '/checklist_answer{"answer": "委托他人代为办理申请"}'


def test_a_long_reply_is_split_at_line_ends_with_the_keyboard_on_the_last_part(telegram):
    api, _ = telegram
    api.message(103, "长回复")
    api.wait_sent(2, chat_id=103)
    time.sleep(0.5)
    parts = api.sent(103)
    assert len(parts) == 2  # 200 lines of 31 characters: 6,200 in all
    assert all(len(p["text"]) <= 4096 for p in parts)
    lines = "\n".join(p["text"] for p in parts).split("\n")
    assert lines == [f"{i:03d} {LONG_LINE}" for i in range(200)]  # nothing lost, no line cut
    assert [("reply_markup" in p) for p in parts] == [False, True]


def test_markup_characters_in_a_reply_show_literally(telegram):
    api, _ = telegram
    api.message(104, "特殊字符")
    [reply] = api.wait_sent(1, chat_id=104)
    assert TelegramHTML(reply["text"]).visible == "出生_医学*证明 <b>粗体</b> & [链接](x) a<b"


def test_the_checklist_arrives_once_in_its_telegram_formatting(telegram):
    api, _ = telegram
    api.message(105, "清单")
    [reply] = api.wait_sent(1, chat_id=105)
    time.sleep(0.5)
    assert len(api.sent(105)) == 1, "the sheet's text and its Telegram version are one message"
    parsed = TelegramHTML(reply["text"])
    assert reply["text"].startswith("<b>普通护照签发 · 一次性告知单</b>")
    assert parsed.visible.endswith("✗ 照片 & 回执")
    assert titles(reply) == [["评价本次服务"]]


@pytest.mark.parametrize(
    "chat, command, payload",
    [(111, "/start", "/greet"), (112, "/feedback", "/give_feedback"), (113, "/reset", "/restart")],
)
def test_commands_map_to_the_assistants_own_intents(telegram, chat, command, payload):
    api, rasa = telegram
    api.message(chat, command)
    api.wait_sent(1, chat_id=chat)
    assert rasa.received[-1]["message"] == payload


def test_help_lists_what_the_bot_can_do_and_its_commands(telegram):
    api, rasa = telegram
    before = len(rasa.received)
    api.message(120, "/help")
    [reply] = api.wait_sent(1, chat_id=120)
    assert "办护照要带什么" in reply["text"] and "/reset" in reply["text"] and "/feedback" in reply["text"]
    assert len(rasa.received) == before  # answered by the channel, nothing to ask the assistant


@pytest.mark.parametrize(
    "content",
    [
        {
            "sticker": {
                "file_id": "s",
                "file_unique_id": "s",
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        },
        {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 90, "height": 90}]},
        {"voice": {"file_id": "v", "file_unique_id": "v", "duration": 3}},
        {"document": {"file_id": "d", "file_unique_id": "d", "file_name": "申请表.pdf"}},
        {"location": {"latitude": 23.1, "longitude": 113.3}},
        {"text": "   "},
    ],
    ids=["sticker", "photo", "voice", "document", "location", "blank-text"],
)
def test_anything_but_text_gets_a_polite_request_for_text(telegram, content):
    api, rasa = telegram
    chat = 200 + len(api.updates)
    before = len(rasa.received)
    api.message(chat, **content)
    [reply] = api.wait_sent(1, chat_id=chat)
    assert TEXT_ONLY in reply["text"]
    assert len(rasa.received) == before


def test_an_edited_message_is_answered_politely(telegram):
    api, rasa = telegram
    before = len(rasa.received)
    api.message(130, "办护照要带什么?", kind="edited_message")
    [reply] = api.wait_sent(1, chat_id=130)
    assert TEXT_ONLY in reply["text"] and "修改" in reply["text"]
    assert len(rasa.received) == before


def test_in_a_group_the_bot_answers_only_when_addressed(telegram):
    api, rasa = telegram
    before = len(rasa.received)
    api.message(-500, "今天中午吃什么", chat_type="group", user_id=7)
    api.message(
        -500,
        sticker={
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        },
        chat_type="group",
        user_id=7,
    )
    api.message(-500, "@zhengwu_test_bot 办护照要带什么", chat_type="group", user_id=7)
    [reply] = api.wait_sent(1, chat_id=-500)
    time.sleep(1)
    assert len(api.sent(-500)) == 1, "group chatter must not be answered"
    assert "普通护照签发" in reply["text"]
    assert rasa.received[before:] == [
        {"sender": "telegram--500-7", "message": "办护照要带什么", "input_channel": "telegram"}
    ]


def test_flood_control_is_waited_out_and_the_message_delivered_once(telegram):
    api, _ = telegram
    api.flood_once = 1
    api.message(140, "你好")
    [reply] = api.wait_sent(1, chat_id=140, timeout=30)
    assert reply["text"] == "回复：你好"
    assert [m for m, p in api.calls if m == "flood"], "the fake API did refuse the first attempt"
    time.sleep(1)
    assert len(api.sent(140)) == 1


def test_one_chat_keeps_its_order_while_other_chats_are_not_held_up(telegram):
    api, _ = telegram
    api.message(150, "慢一点")
    api.message(150, "第二句")
    api.message(151, "别的市民")
    api.wait_sent(2, chat_id=150)
    order = [
        (int(p["chat_id"]), p["text"]) for m, p in api.calls if m == "sendMessage" and int(p["chat_id"]) in (150, 151)
    ]
    assert [t for c, t in order if c == 150] == ["回复：慢一点", "回复：第二句"]
    assert order[0] == (151, "回复：别的市民"), "another citizen waited for a slow conversation"


def test_when_the_assistant_is_down_the_citizen_is_told_and_service_resumes():
    api = FakeBotAPI()
    port = free_port()
    relay = Relay(api, f"http://127.0.0.1:{port}").wait_ready(api)
    rasa = None
    try:
        api.message(160, "办护照要带什么")
        [reply] = api.wait_sent(1, chat_id=160)
        assert "稍后再试" in reply["text"]
        rasa = ScriptedRasa(scripted_reply, port=port)  # the assistant comes back
        api.message(160, "办护照要带什么")
        replies = api.wait_sent(2, chat_id=160)
        assert "普通护照签发" in replies[1]["text"]
    finally:
        stderr = relay.stop()
        api.stop()
        if rasa:
            rasa.stop()
    assert "Traceback" not in stderr


def test_a_missing_token_is_a_clear_error():
    result = subprocess.run(
        [sys.executable, "-m", "relays.telegram"],
        cwd=ROOT,
        env={**os.environ, "TELEGRAM_BOT_TOKEN": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "Traceback" not in result.stderr


def test_a_token_telegram_rejects_is_a_clear_error():
    api = FakeBotAPI()
    try:
        relay = Relay(api, "http://127.0.0.1:9", token="123:revoked")
        assert relay.proc.wait(timeout=60) == 3
        stderr = relay.proc.stderr.read()
    finally:
        api.stop()
    assert "令牌" in stderr and "Traceback" not in stderr


def test_webhook_mode_checks_telegrams_secret_token():
    api, rasa = FakeBotAPI(), ScriptedRasa(scripted_reply)
    port = free_port()
    relay = Relay(
        api,
        rasa.url,
        TELEGRAM_WEBHOOK_URL="https://bot.example.invalid/telegram",
        TELEGRAM_WEBHOOK_SECRET="s3cret-Token",
        TELEGRAM_WEBHOOK_PORT=str(port),
    )
    try:
        relay.wait_ready(api, "setWebhook")
        [hook] = api.called("setWebhook")
        assert hook["url"] == "https://bot.example.invalid/telegram" and hook["secret_token"] == "s3cret-Token"
        update = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "text": "你好",
                "chat": {"id": 170, "type": "private"},
                "from": {"id": 170, "is_bot": False, "first_name": "市民"},
            },
        }

        def post(secret):
            headers = {"Content-Type": "application/json"}
            if secret:
                headers["X-Telegram-Bot-Api-Secret-Token"] = secret
            request = urllib.request.Request(f"http://127.0.0.1:{port}/telegram", json.dumps(update).encode(), headers)
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return response.status
            except urllib.error.HTTPError as exc:
                return exc.code

        deadline = time.monotonic() + 30
        while True:  # the webhook server starts right after setWebhook
            try:
                status = post(None)
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        assert status == 403
        assert post("wrong") == 403
        assert api.sent(170) == []
        assert post("s3cret-Token") == 200
        [reply] = api.wait_sent(1, chat_id=170)
        assert reply["text"] == "回复：你好"
    finally:
        stderr = relay.stop()
        api.stop()
        rasa.stop()
    assert "Traceback" not in stderr


def test_the_real_assistant_answers_through_telegram(rasa_server):
    """End to end: fake Telegram → relay → `rasa run` with the trained model → action server."""
    url, _ = rasa_server
    api = FakeBotAPI()
    relay = Relay(api, url).wait_ready(api)
    try:
        api.message(180, "办护照要带什么")
        [reply] = api.wait_sent(1, chat_id=180, timeout=60)
        assert "护照" in reply["text"] and "居民身份证" in reply["text"]
        buttons = {b["text"]: b["callback_data"] for row in reply["reply_markup"]["inline_keyboard"] for b in row}
        api.press(180, buttons["办理流程"])
        replies = api.wait_sent(2, chat_id=180, timeout=60)
        assert "流程" in replies[1]["text"] and "护照" in replies[1]["text"]
        api.message(180, "/reset")
        replies = api.wait_sent(3, chat_id=180, timeout=60)
        assert "之前的对话已清除" in replies[2]["text"]
    finally:
        stderr = relay.stop()
        api.stop()
    assert "Traceback" not in stderr


def test_a_single_line_longer_than_a_message_is_cut_between_characters_not_inside_an_entity():
    from relays.telegram_render import split_message

    line = "材&amp;" * 900  # 5,400 characters in one line; 4,096 falls inside an entity
    parts = split_message(line + "\n结尾")
    assert all(len(p) <= 4096 for p in parts)
    assert len(parts) == 2
    # what the citizen reads, part after part, is the whole text: no entity was cut in two
    assert "".join(TelegramHTML(p).visible for p in parts) == html.unescape(line) + "\n结尾"


def test_a_chat_that_floods_is_asked_to_slow_down():
    api, rasa = FakeBotAPI(), ScriptedRasa(scripted_reply)
    relay = Relay(api, rasa.url, RATE_LIMIT_PER_MINUTE="3").wait_ready(api)
    try:
        for n in range(5):
            api.message(190, f"第{n}条")
        replies = api.wait_sent(5, chat_id=190)
        assert sum("太频繁" in r["text"] for r in replies) == 2
        assert [r["message"] for r in rasa.received] == ["第0条", "第1条", "第2条"]
    finally:
        stderr = relay.stop()
        api.stop()
        rasa.stop()
    assert "Traceback" not in stderr


def test_while_an_agent_helps_the_chat_goes_to_them_and_their_replies_are_sent(telegram):
    """人工帮办: the store is the one the relay opened (HANDOVER_DB_URL of conftest.py); the agent's side
    (queue, take, reply, hand back) is played on it as the action server and the console do."""
    from domain_logic.handover.store import HandoverStore

    api, rasa = telegram
    store = HandoverStore()
    ticket = store.queue("telegram-910", "telegram", {})
    store.take(ticket.id, "agent-test")
    api.message(910, "我的护照丢了怎么办，电话13800138000")
    deadline = time.monotonic() + 30
    while not store.messages(ticket.id) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [m.text for m in store.messages(ticket.id)] == ["我的护照丢了怎么办，电话138****8000"]
    assert not any("护照丢了" in r["message"] for r in rasa.received), "the assistant must not answer meanwhile"
    store.reply(ticket.id, "您好，我是工作人员，请先挂失 <旧护照>")
    [reply] = api.wait_sent(1, chat_id=910)
    assert TelegramHTML(reply["text"]).visible == "👤 工作人员：\n您好，我是工作人员，请先挂失 <旧护照>"
    store.hand_back(ticket.id)
    replies = api.wait_sent(2, chat_id=910)
    assert replies[1]["text"] == "工作人员已结束人工服务，接下来由智能助手继续为您服务。"
    api.message(910, "办护照要带什么")
    replies = api.wait_sent(3, chat_id=910)
    assert "普通护照签发" in replies[2]["text"]  # the assistant answers again


def test_reset_takes_the_chat_out_of_the_queue(telegram):
    from domain_logic.handover.store import LEFT, HandoverStore

    api, rasa = telegram
    store = HandoverStore()
    ticket = store.queue("telegram-911", "telegram", {})
    api.message(911, "/reset")
    api.wait_sent(1, chat_id=911)
    assert store.get(ticket.id).state == LEFT
    assert {"sender": "telegram-911", "message": "/restart"} in [
        {k: r[k] for k in ("sender", "message")} for r in rasa.received
    ]
