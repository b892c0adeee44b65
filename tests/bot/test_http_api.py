"""The HTTP surface as `make run` starts it: /model/parse and the REST channel."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from helpers import API_TOKEN, MODEL, buttons_of, rest, texts


def post(url: str, payload: dict):
    request = urllib.request.Request(url, json.dumps(payload).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.status, json.loads(response.read().decode())


def test_model_parse_returns_intent_and_service_id(rasa_server):
    url, _ = rasa_server
    status, parse = post(f"{url}/model/parse?token={API_TOKEN}", {"text": "办护照要带什么"})
    assert status == 200
    assert parse["intent"]["name"] == "ask_materials"
    services = [e["value"] for e in parse["entities"] if e["entity"] == "service"]
    assert services == ["passport"]


def test_model_parse_finds_no_service_in_unrelated_text(rasa_server):
    url, _ = rasa_server
    _, parse = post(f"{url}/model/parse?token={API_TOKEN}", {"text": "今天天气怎么样"})
    assert not [e for e in parse["entities"] if e["entity"] == "service"]


@pytest.mark.parametrize("path", ["/model/parse", "/conversations/someone/tracker", "/status"])
def test_the_http_api_needs_the_token_but_the_channel_does_not(rasa_server, path):
    url, _ = rasa_server
    with pytest.raises(urllib.error.HTTPError) as refused:
        post(f"{url}{path}", {"text": "办护照要带什么"}) if path == "/model/parse" else urllib.request.urlopen(
            f"{url}{path}", timeout=30
        )
    assert refused.value.code == 401
    status, replies = post(f"{url}/webhooks/rest/webhook", {"sender": "no-token", "message": "你好"})
    assert status == 200 and replies


def test_rest_channel_answers_and_stores_the_conversation_in_sqlite(rasa_server):
    url, db = rasa_server
    status, replies = post(f"{url}/webhooks/rest/webhook", {"sender": "http-test", "message": "第一次办社保卡在哪里办"})
    assert status == 200
    assert "社会保障卡申领" in replies[0]["text"]
    assert [b["title"] for b in replies[0]["buttons"]][:2] == ["需要什么材料", "办理流程"]
    import sqlite3

    with sqlite3.connect(db) as conn:
        rows = conn.execute("select count(*) from events where sender_id = 'http-test'").fetchone()[0]
    assert rows > 0


def test_jieba_dictionary_travels_inside_the_model():
    """The user dictionary is part of the model archive, not a path on the training machine."""
    import tarfile

    with tarfile.open(MODEL) as archive:
        member = next(m for m in archive.getmembers() if m.name.endswith("kb_userdict.txt"))
        words = archive.extractfile(member).read().decode("utf-8").splitlines()
    terms = {line.split()[0] for line in words}
    assert {"办护照", "营业执照", "社保卡", "孩子出生了"} <= terms


def test_checklist_flow_over_the_rest_channel(rasa_server):
    url, _ = rasa_server
    hook = f"{url}/webhooks/rest/webhook"

    def say(text):
        return post(hook, {"sender": "rest-prep", "message": text})[1]

    replies = say("帮我准备一下办护照的材料")
    assert any(b["title"] == "本人办理" for r in replies for b in r.get("buttons", []))
    for answer in ("本人办理", "没有", "否", "已备好"):
        replies = say(f'/checklist_answer{{"answer": "{answer}"}}')
    replies = say("照片还没有")
    sheet = next(r for r in replies if r.get("text", "").startswith("【一次性告知单"))
    assert "✗ 还缺：出入境证件相片" in sheet["text"] and "还缺 1 项" in sheet["text"]
    printable = next(r["custom"]["checklist"] for r in replies if "custom" in r)
    assert printable["html"].startswith("<!doctype html>") and printable["verdict"].startswith("还缺 1 项")


def test_an_uncatalogued_sibling_gets_an_honest_answer_with_its_department(rasa_server, checklist_db):
    """居住证 has guides for 申领 and 签注, none for 补领: say so and name 公安户政, even with 护照 in context."""
    from domain_logic.inbox.store import InboxStore

    url, _ = rasa_server
    sender = f"gap-{time.monotonic_ns()}"
    assert "普通护照" in texts(rest(url, sender, "办护照要带什么"))
    replies = rest(url, sender, "我的居住证丢了怎么补办")
    text = texts(replies)
    assert "还没有「居住证补领（遗失）」的办事指南" in text
    assert "公安户政" in text and "派出所" in text and "12345" in text
    assert "普通护照" not in text and "需要准备" not in text and "居住证申领」：" not in text
    titles = [b["title"] for b in buttons_of(replies)]
    assert titles == ["转人工"]  # no sibling's guide in its place
    inbox = InboxStore(f"sqlite:///{checklist_db.parent / 'feedback.db'}").inbox()  # the action server's store
    assert "我的居住证丢了怎么补办" in [e["text"] for e in inbox]
    # the family's covered members are still answered from their guides
    assert "「居住证签注（续期）与换领」" in texts(rest(url, sender, "居住证过期了要签注"))


def test_a_family_word_alone_asks_the_family_question_over_rest(rasa_server):
    url, _ = rasa_server
    replies = rest(url, f"family-{time.monotonic_ns()}", "驾照的事要带什么")
    assert texts(replies).startswith("请问您要办的是下面哪一项？")
    titles = [b["title"] for b in buttons_of(replies)]
    assert "机动车驾驶证补领（遗失）" in titles and "机动车驾驶证期满换证" in titles
