"""The HTTP surface as `make run` starts it: /model/parse and the REST channel."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from conftest import API_TOKEN, MODEL


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
        post(f"{url}{path}", {"text": "办护照要带什么"}) if path == "/model/parse" else \
            urllib.request.urlopen(f"{url}{path}", timeout=30)
    assert refused.value.code == 401
    status, replies = post(f"{url}/webhooks/rest/webhook", {"sender": "no-token", "message": "你好"})
    assert status == 200 and replies


def test_rest_channel_answers_and_stores_the_conversation_in_sqlite(rasa_server):
    url, db = rasa_server
    status, replies = post(f"{url}/webhooks/rest/webhook", {"sender": "http-test", "message": "社保卡在哪里办"})
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


def test_preparation_flow_over_the_rest_channel(rasa_server):
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
    assert "✗ 出入境证件相片" in sheet["text"] and "还缺 1 项" in sheet["text"]
    printable = next(r["custom"]["checklist"] for r in replies if "custom" in r)
    assert printable["html"].startswith("<!doctype html>") and printable["verdict"].startswith("还缺 1 项")
