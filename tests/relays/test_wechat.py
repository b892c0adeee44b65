"""The WeChat relay as WeChat's servers meet it: `python -m relays.wechat` in its own process, called
with signed (and in 安全模式 encrypted) XML built by wechatpy itself, against a scripted assistant and
a local stand-in for the WeChat API (the access token, 客服消息, the menu)."""

from __future__ import annotations

import base64
import os
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Dict, Optional, Tuple

import pytest
import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from common.rasa_client import BotMessage, Button
from domain_logic.handover.store import HandoverStore
from fake_servers import FakeWeChatAPI, ScriptedRasa
from helpers import free_port, wait_for
from relays.wechat import UNDELIVERED, VOICE_NOT_READ, checked_menu, MenuError
from relays.wechat_render import MAX_BYTES, as_text, packed, pressed, split_message
from tools.launch.processes import spawn, wechat_command

TOKEN, APP_ID, ACCOUNT = "zhengwu-token", "wx0123456789abcdef", "gh_zhengwu"
MATERIAL = "居民身份证原件及复印件一份（复印件需清晰、完整）"


def aes_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()[:-1]  # an EncodingAESKey: 43 characters


def scripted(message: str):
    if message.startswith("慢"):
        time.sleep(6)  # longer than WeChat waits
    if message == "很长":
        return [{"text": "办理「普通护照签发」需要准备：\n" + "\n".join(f"{n}. {MATERIAL}" for n in range(1, 60))}]
    return [
        {
            "text": f"收到：{message}",
            "buttons": [
                {"title": "办理流程", "payload": "/ask_process"},
                {"title": "办理地点", "payload": "/ask_location"},
            ],
        }
    ]


class WeChatRelay:
    """`python -m relays.wechat`, as `make wechat` runs it."""

    def __init__(self, rasa_url: str, api: FakeWeChatAPI, folder: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/wechat"
        self.env = {
            "WECHAT_TOKEN": TOKEN,
            "WECHAT_APP_ID": APP_ID,
            "WECHAT_APP_SECRET": "secret",
            "WECHAT_API_BASE": api.base,
            "WECHAT_DB_URL": f"sqlite:///{folder / 'wechat.db'}",
            "HANDOVER_POLL_SECONDS": "0.3",
            **env,
        }
        self.rasa_url = rasa_url
        self.start()

    def start(self) -> None:
        self.proc = spawn(
            wechat_command("--port", str(self.port), "--rasa-url", self.rasa_url), self.env, stderr=subprocess.PIPE
        )
        wait_for(f"http://127.0.0.1:{self.port}/healthz", timeout=30)

    def stop(self) -> str:
        self.proc.terminate()
        _, err = self.proc.communicate(timeout=15)
        return err


@pytest.fixture()
def world(tmp_path):
    api, rasa = FakeWeChatAPI(), ScriptedRasa(scripted)
    relays = []

    def relay(**env: str) -> WeChatRelay:
        started = WeChatRelay(rasa.url, api, tmp_path, **env)
        relays.append(started)
        return started

    yield relay, rasa, api
    for started in relays:
        err = started.stop()
        assert "Traceback" not in err, err
    api.stop()
    rasa.stop()


def signed(timestamp: Optional[int] = None, **extra: str) -> Dict[str, str]:
    ts, nonce = str(timestamp or int(time.time())), "nonce42"
    signer = WeChatSigner()
    signer.add_data(TOKEN, ts, nonce)
    return {"signature": signer.signature, "timestamp": ts, "nonce": nonce, **extra}


def text_xml(content: str, msg_id: int, openid: str = "o-citizen") -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(event: str, key: str = "", openid: str = "o-citizen") -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>"
    )


def voice_xml(msg_id: int, recognition: Optional[str]) -> str:
    field = f"<Recognition><![CDATA[{recognition}]]></Recognition>" if recognition is not None else ""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[o-citizen]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[voice]]></MsgType>"
        f"<MediaId><![CDATA[m1]]></MediaId><Format><![CDATA[amr]]></Format>{field}<MsgId>{msg_id}</MsgId></xml>"
    )


def call(url: str, query: Dict[str, str], body: Optional[str] = None) -> Tuple[int, str]:
    request = urllib.request.Request(
        f"{url}?{urllib.parse.urlencode(query)}",
        data=body.encode() if body is not None else None,
        method="POST" if body is not None else "GET",
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def content(reply: str) -> str:
    return xmltodict.parse(reply)["xml"]["Content"]


# ---- the server URL check and the signatures --------------------------------------------------------
def test_the_server_url_check_echoes_only_a_signed_request(world):
    relay, _, _ = world
    wechat = relay()
    assert call(wechat.url, signed(echostr="7356")) == (200, "7356")
    forged = {**signed(echostr="7356"), "signature": "0" * 40}
    assert call(wechat.url, forged)[0] == 403


def test_a_message_unsigned_or_stale_is_refused_and_never_reaches_the_assistant(world):
    relay, rasa, _ = world
    wechat = relay()
    assert call(wechat.url, {**signed(), "signature": "f" * 40}, text_xml("办护照要带什么", 1))[0] == 403
    stale = signed(timestamp=int(time.time()) - 3600)
    assert call(wechat.url, stale, text_xml("办护照要带什么", 2))[0] == 403
    assert rasa.received == []


# ---- answering ----------------------------------------------------------------------------------------
def test_a_question_is_answered_passively_and_a_number_presses_the_button(world):
    relay, rasa, _ = world
    wechat = relay()
    status, reply = call(wechat.url, signed(), text_xml("办护照要带什么", 10))
    assert status == 200
    said = content(reply)
    assert said.startswith("收到：办护照要带什么") and "回复数字选择：\n1. 办理流程\n2. 办理地点" in said
    assert xmltodict.parse(reply)["xml"]["ToUserName"] == "o-citizen"
    assert rasa.received[0]["input_channel"] == "wechat" and rasa.received[0]["sender"] == "wechat-o-citizen"
    call(wechat.url, signed(), text_xml("2", 11))
    assert rasa.received[-1]["message"] == "/ask_location"  # the second button, pressed by its number
    call(wechat.url, signed(), text_xml("9", 12))
    assert rasa.received[-1]["message"] == "9"  # no such button: the text as the citizen wrote it


def test_in_safe_mode_messages_and_replies_are_encrypted_and_the_previous_key_still_opens(world):
    relay, rasa, _ = world
    current, previous = aes_key(), aes_key()
    wechat = relay(WECHAT_AES_KEY=current, WECHAT_AES_KEY_PREVIOUS=previous)
    for n, key in enumerate((current, previous)):
        crypto = WeChatCrypto(TOKEN, key, APP_ID)
        query = signed(encrypt_type="aes")
        sealed = crypto.encrypt_message(text_xml(f"办护照要带什么{n}", 20 + n), query["nonce"], query["timestamp"])
        query["msg_signature"] = xmltodict.parse(sealed)["xml"]["MsgSignature"]
        status, reply = call(wechat.url, query, sealed)
        assert status == 200 and "<Encrypt>" in reply and "收到" not in reply  # nothing in clear on the wire
        envelope = xmltodict.parse(reply)["xml"]
        opened = crypto.decrypt_message(reply, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"])
        assert content(opened).startswith(f"收到：办护照要带什么{n}")
    stranger = WeChatCrypto(TOKEN, aes_key(), APP_ID)
    query = signed(encrypt_type="aes")
    sealed = stranger.encrypt_message(text_xml("办护照", 29), query["nonce"], query["timestamp"])
    query["msg_signature"] = xmltodict.parse(sealed)["xml"]["MsgSignature"]
    assert call(wechat.url, query, sealed)[0] == 403
    assert len(rasa.received) == 2


def test_a_slow_answer_is_success_at_once_then_pushed_or_carried_by_a_retry_and_never_asked_twice(world):
    relay, rasa, api = world
    wechat = relay()
    started = time.monotonic()
    assert call(wechat.url, signed(), text_xml("慢一点的问题", 30)) == (200, "success")
    assert time.monotonic() - started < 5, "WeChat must hear back within 5 s"
    assert api.wait_pushed(1, "o-citizen")[0].startswith("收到：慢一点的问题")  # no retry came: 客服消息

    assert call(wechat.url, signed(), text_xml("慢第二个", 31)) == (200, "success")
    status, reply = call(wechat.url, signed(), text_xml("慢第二个", 31))  # WeChat's retry, in time to carry it
    assert content(reply).startswith("收到：慢第二个")
    assert call(wechat.url, signed(), text_xml("慢第二个", 31)) == (200, "success")  # its last retry
    time.sleep(1)
    assert [m["message"] for m in rasa.received] == ["慢一点的问题", "慢第二个"]  # each asked once
    assert len(api.pushed()) == 1  # and answered once


def test_a_message_taken_before_a_restart_is_not_taken_again(world):
    relay, rasa, _ = world
    wechat = relay()
    call(wechat.url, signed(), text_xml("办护照要带什么", 40))
    wechat.stop()
    wechat.start()
    assert call(wechat.url, signed(), text_xml("办护照要带什么", 40)) == (200, "success")
    assert len(rasa.received) == 1


def test_a_long_guide_comes_in_parts_under_the_limit_without_breaking_a_line(world):
    relay, _, api = world
    wechat = relay()
    status, reply = call(wechat.url, signed(), text_xml("很长", 50))
    first = content(reply)
    rest = api.wait_pushed(1, "o-citizen")
    time.sleep(1)
    parts = [first, *api.pushed("o-citizen")]
    assert 2 <= len(parts) <= 5 and all(len(p.encode()) <= MAX_BYTES for p in parts)
    lines = [line for p in parts for line in p.split("\n")]
    assert sum(1 for line in lines if line.endswith(MATERIAL)) == 59  # every material whole, none lost
    assert rest


# ---- voice, events, the menu --------------------------------------------------------------------------
def test_voice_is_read_from_recognition_and_without_it_the_citizen_is_asked_for_text(world):
    relay, rasa, _ = world
    wechat = relay()
    call(wechat.url, signed(), voice_xml(60, "办护照要带什么"))
    assert rasa.received[-1]["message"] == "办护照要带什么"
    status, reply = call(wechat.url, signed(), voice_xml(61, None))
    assert content(reply) == VOICE_NOT_READ and len(rasa.received) == 1


def test_following_the_account_gets_the_welcome_and_a_menu_click_is_an_intent(world):
    relay, rasa, _ = world
    wechat = relay()
    call(wechat.url, signed(), event_xml("subscribe"))
    call(wechat.url, signed(), event_xml("CLICK", "FEEDBACK", openid="o-other"))
    assert [m["message"] for m in rasa.received] == ["/greet", "/give_feedback"]
    assert call(wechat.url, signed(), event_xml("unsubscribe", openid="o-gone")) == (200, "success")
    assert len(rasa.received) == 2


def test_the_menu_file_is_checked_against_wechats_limits_and_applied(world, tmp_path):
    _, _, api = world
    assert checked_menu(Path("deploy/wechat_menu.yml"))["button"][0]["key"] == "GUIDE"
    crowded = tmp_path / "menu.yml"
    crowded.write_text(
        "button:\n  - name: 更多\n    sub_button:\n"
        + "".join(f"      - {{type: click, name: 项{n}, key: GUIDE}}\n" for n in range(6)),
        encoding="utf-8",
    )
    with pytest.raises(MenuError, match="最多 5 个"):
        checked_menu(crowded)
    env = {"WECHAT_APP_ID": APP_ID, "WECHAT_APP_SECRET": "secret", "WECHAT_API_BASE": api.base}
    refused = spawn(wechat_command("menu", "--file", str(crowded), "--apply"), env, stdout=subprocess.PIPE)
    assert refused.wait(timeout=30) == 1
    applied = spawn(wechat_command("menu", "--apply"), env, stdout=subprocess.PIPE)
    assert applied.wait(timeout=30) == 0
    assert [body for route, body in api.calls if route == "/cgi-bin/menu/create"][0]["button"][2]["name"] == "更多服务"


# ---- WeChat's limits, human help ----------------------------------------------------------------------
def test_a_push_wechat_refuses_is_logged_and_the_next_answer_says_so(world):
    relay, _, api = world
    api.refuse_with = 45047  # the quota of 客服消息 is spent
    wechat = relay()
    assert call(wechat.url, signed(), text_xml("慢一点的问题", 70)) == (200, "success")
    api.wait_pushed(1, "o-citizen")  # tried, and refused
    time.sleep(0.5)
    status, reply = call(wechat.url, signed(), text_xml("办护照要带什么", 71))
    assert content(reply).startswith(UNDELIVERED)
    err = wechat.stop()
    assert "45047" in err and "Traceback" not in err
    wechat.start()  # for the fixture's own stop


def test_while_a_person_helps_the_agents_reply_is_pushed_to_the_citizen(world):
    relay, rasa, api = world
    store = HandoverStore()  # the tests' HANDOVER_DB_URL, which the relay's process reads too
    ticket = store.queue("wechat-o-helped", "wechat", {"question": "办护照"})
    wechat = relay()
    assert call(wechat.url, signed(), text_xml("我还在等", 80, openid="o-helped")) == (200, "success")
    assert rasa.received == [] and store.messages(ticket.id)[-1].text == "我还在等"  # it went to the person
    store.take(ticket.id, "zhao")
    store.reply(ticket.id, "您好，我是工作人员小赵，请问需要什么帮助？")
    pushed = api.wait_pushed(1, "o-helped")
    assert pushed[0].startswith("【工作人员】您好，我是工作人员小赵")


# ---- rendering, on its own ----------------------------------------------------------------------------
def test_buttons_become_a_numbered_list_and_only_a_number_presses_one():
    text, payloads = as_text([BotMessage("请选择：", [Button("补领", "/a"), Button("换领", "/b")])])
    assert text == "请选择：\n\n回复数字选择：\n1. 补领\n2. 换领"
    assert pressed("2", payloads) == "/b" and pressed(" 1。", payloads) == "/a"
    assert pressed("3", payloads) is None and pressed("我要1个", payloads) is None


def test_splitting_keeps_lines_whole_and_packing_stays_within_five_messages():
    text = "\n".join(f"{n}. {MATERIAL}" for n in range(300))
    parts = split_message(text)
    assert all(len(p.encode()) <= MAX_BYTES for p in parts)
    assert sum(len(p.split("\n")) for p in parts) == 300
    assert len(packed(text)) == 5 and packed(text)[-1].endswith("或到窗口咨询）")
    assert split_message("办" * 1000)[0] == "办" * (MAX_BYTES // 3)  # one huge line is cut at a character


# ---- what WeChat may send that is not a message -------------------------------------------------------
def test_bad_xml_and_an_oversized_body_are_refused_without_a_traceback(world):
    relay, rasa, _ = world
    wechat = relay(MAX_REQUEST_BYTES="4096")
    assert call(wechat.url, signed(), "<xml><MsgType>text</MsgType")[0] == 400
    assert call(wechat.url, signed(), "not xml at all")[0] == 400
    assert call(wechat.url, signed(), text_xml("办" * 3000, 90))[0] == 413
    assert rasa.received == []  # and the fixture checks the relay's log for a traceback


def test_the_openid_is_not_written_to_the_relays_log(world):
    relay, _, api = world
    wechat = relay(LOG_LEVEL="DEBUG")
    call(wechat.url, signed(), text_xml("我的电话13800138000", 95, openid="o-private-123"))
    call(wechat.url, signed(), text_xml("慢一点的问题", 96, openid="o-private-123"))
    api.wait_pushed(1, "o-private-123")
    err = wechat.stop()
    assert "o-private-123" not in err and "13800138000" not in err
    wechat.start()


def test_relays_on_redis_share_one_access_token(monkeypatch):
    import redis

    from relays.wechat import Client, token_storage

    api = FakeWeChatAPI()
    monkeypatch.setenv("WECHAT_TOKEN_STORE", "redis")
    monkeypatch.setenv("WECHAT_API_BASE", api.base)
    appid = f"wx-test-{os.getpid()}-{time.time_ns()}"  # a key of its own in the shared Redis
    try:
        first, second = Client(appid, "secret", token_storage()), Client(appid, "secret", token_storage())
        assert first.access_token == second.access_token == "fake-token"
        assert [route for route, _ in api.calls].count("/cgi-bin/token") == 1  # fetched once, for both
    finally:
        redis.Redis().delete(f"wechatpy:{appid}_access_token")
        api.stop()


# ---- with the real assistant ----------------------------------------------------------------------------
@pytest.fixture()
def bot_world(rasa_server, tmp_path):
    url, _ = rasa_server
    api = FakeWeChatAPI()
    wechat = WeChatRelay(url, api, tmp_path)
    yield wechat, api
    err = wechat.stop()
    api.stop()
    assert "Traceback" not in err, err


def ask(wechat: WeChatRelay, api: FakeWeChatAPI, text: str, msg_id: int, openid: str) -> str:
    """All the citizen reads for one message: the passive reply and any parts pushed after it."""
    before = len(api.pushed(openid))
    _, reply = call(wechat.url, signed(), text_xml(text, msg_id, openid))
    if reply == "success":
        return "\n".join(api.wait_pushed(before + 1, openid)[before:])
    time.sleep(0.5)
    return "\n".join([content(reply), *api.pushed(openid)[before:]])


def test_the_passport_guide_arrives_through_wechat(bot_world):
    wechat, api = bot_world
    seen = ask(wechat, api, "办护照要带什么", 200, "o-passport")
    assert "普通护照签发" in seen and "居民身份证" in seen and "回复数字选择" in seen


def test_a_checklist_across_several_messages_ends_with_the_sheet(bot_world):
    wechat, api = bot_world
    seen = ask(wechat, api, "我们要去领结婚证，帮我核对一下材料", 300, "o-marry")
    pushed_before = 0
    for n in range(301, 320):
        if "结论：" in seen:
            break
        assert "回复数字选择" in seen, seen
        pushed_before = len(api.pushed("o-marry"))
        seen = ask(wechat, api, "1", n, "o-marry")
    assert "结论：" in seen and "/sheet/" in seen  # the sheet, with its link for the phone (扫码带走)
    assert len(api.pushed("o-marry")) == pushed_before  # in one message: no 客服消息 spent on it


def test_a_rating_given_by_number_is_stored_as_a_wechat_rating(bot_world, checklist_db):
    import re
    import sqlite3

    wechat, api = bot_world
    ask(wechat, api, "护照多少钱", 400, "o-rater")
    prompt = ask(wechat, api, "我要评价", 401, "o-rater")
    number = re.search(r"(\d+)\. 非常满意", prompt)
    assert number, prompt
    thanks = ask(wechat, api, number.group(1), 402, "o-rater")
    assert "感谢" in thanks or "谢谢" in thanks, thanks
    with sqlite3.connect(checklist_db.parent / "feedback.db") as conn:
        channels = [r[0] for r in conn.execute("select channel from feedback_ratings where rating = 5")]
    assert "wechat" in channels


def test_asking_for_a_person_on_wechat_queues_a_wechat_ticket(bot_world):
    wechat, api = bot_world
    seen = ask(wechat, api, "我要找人工客服", 500, "o-needs-help")
    ticket = HandoverStore().latest_ticket("wechat-o-needs-help")
    assert ticket is not None and ticket.channel == "wechat", seen
    HandoverStore().leave("wechat-o-needs-help")


def test_a_long_checklist_is_one_message_ending_with_its_link():
    from relays.wechat_render import one_message_with_link

    link_line = "手机查看、保存这份清单：https://zhengwu.example/sheet/abc（7 天内有效）"
    text = "\n".join(f"✓ {MATERIAL}" for _ in range(80)) + "\n\n" + link_line
    one = one_message_with_link(text, link_line)
    assert len(one.encode()) <= MAX_BYTES and one.endswith(link_line) and "……" in one
    assert all(line.endswith(MATERIAL) for line in one.split("\n")[:-2])  # whole lines only
