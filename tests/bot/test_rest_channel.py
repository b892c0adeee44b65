"""The REST channel as a caller meets it over HTTP: Rasa's format, within stated limits, nothing open by default.

Against the live `rasa run` of the session (started as `make run` starts it); the limits are the
defaults of common/settings.py. What is refused must never reach the tracker store.
"""

from __future__ import annotations

import json
from contextlib import closing
import socket
import sqlite3
import subprocess
import threading
import uuid
from typing import Any, Callable, Dict, List, Union

import pytest

from helpers import ROOT, Answer, post_raw, stored_turns, turns_in_order

from tools.launch.processes import rasa_command
from common import settings


def hook(rasa_server) -> str:
    return f"{rasa_server[0]}/webhooks/rest/webhook"


def send(url: str, payload: Union[bytes, Dict[str, Any], List[Any]], **kwargs) -> Answer:
    return post_raw(url, payload if isinstance(payload, bytes) else json.dumps(payload).encode(), **kwargs)


def mentions(tracker_db, marker: str) -> int:
    """Stored events whose sender or data contain `marker`."""
    with sqlite3.connect(tracker_db) as conn:
        return conn.execute(
            "select count(*) from events where sender_id like ? or data like ?", (f"%{marker}%", f"%{marker}%")
        ).fetchone()[0]


def says_why(answer: Answer, english: str) -> bool:
    """A JSON error in Chinese and in English."""
    error = answer.body.get("error", "") if isinstance(answer.body, dict) else ""
    return english in error and any("\u4e00" <= c <= "\u9fff" for c in error)


# (what is wrong, body for a marker, status, the English words of the error)
REFUSED: List[tuple] = [
    ("body over 16 KB", lambda m: {"sender": m, "message": "办护照" + " " * 17_000}, 413, "Request body too large"),
    ("1,001 characters", lambda m: {"sender": m, "message": m + "护" * 1001}, 413, "at most 1000 characters"),
    ("message null", lambda m: {"sender": m, "message": None}, 400, "'message' must be a string"),
    ("message a number", lambda m: {"sender": m, "message": 42}, 400, "'message' must be a string"),
    ("message an object", lambda m: {"sender": m, "message": {"text": m}}, 400, "'message' must be a string"),
    ("message a list", lambda m: {"sender": m, "message": [m]}, 400, "'message' must be a string"),
    ("no message", lambda m: {"sender": m}, 400, "'message' must be a string"),
    ("no sender", lambda m: {"message": m}, 400, "'sender' must be a string"),
    ("empty sender", lambda m: {"sender": "", "message": m}, 400, "'sender' must be a string"),
    ("blank sender", lambda m: {"sender": "   ", "message": m}, 400, "'sender' must be a string"),
    ("sender a number", lambda m: {"sender": 12345, "message": m}, 400, "'sender' must be a string"),
    ("129-character sender", lambda m: {"sender": m + "s" * 129, "message": m}, 400, "'sender' must be a string"),
    ("sender with a NUL", lambda m: {"sender": m + "\x00", "message": m}, 400, "'sender' must be a string"),
    ("metadata a list", lambda m: {"sender": m, "message": m, "metadata": [m]}, 400, "'metadata' must be"),
    ("input_channel a number", lambda m: {"sender": m, "message": m, "input_channel": 7}, 400, "'input_channel'"),
    ("not JSON", lambda m: f'{{"sender": "{m}", "message": "{m}"'.encode(), 400, "must be a JSON object"),
    ("a JSON list", lambda m: [{"sender": m, "message": m}], 400, "must be a JSON object"),
    ("not UTF-8", lambda m: f'{{"sender": "{m}", "message": "'.encode() + b'\xff\xfe"}', 400, "must be a JSON object"),
    (
        "nested 8,000 deep",
        lambda m: (f'{{"sender": "{m}", "message": ' + "[" * 8000 + "]" * 8000 + "}").encode(),
        400,
        "must be a JSON object",
    ),
]


@pytest.mark.parametrize("build, status, english", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_a_bad_request_is_refused_clearly_and_never_stored(rasa_server, build: Callable, status, english):
    marker = f"refused{uuid.uuid4().hex[:10]}"
    answer = send(hook(rasa_server), build(marker))
    assert answer.status == status and says_why(answer, english), answer
    assert mentions(rasa_server[1], marker) == 0


def test_a_good_request_is_answered_in_rasas_format_and_stored(rasa_server):
    """The other side of the refusals: what is taken does reach the tracker store."""
    marker = f"taken{uuid.uuid4().hex[:10]}"
    answer = send(
        hook(rasa_server),
        {"sender": marker, "message": "办护照要带什么", "input_channel": "kiosk", "metadata": {"screen": "hall-1"}},
    )
    assert answer.status == 200
    assert answer.body[0]["recipient_id"] == marker and "普通护照签发" in answer.body[0]["text"]
    assert mentions(rasa_server[1], marker) > 0


def test_a_message_of_exactly_1000_characters_is_taken(rasa_server):
    answer = send(hook(rasa_server), {"sender": f"long-{uuid.uuid4().hex[:8]}", "message": "护照" * 500})
    assert answer.status == 200 and answer.body and answer.body[0]["text"]


@pytest.mark.parametrize("text", ["", "   "], ids=["empty", "blank"])
def test_an_empty_message_gets_a_polite_reply(rasa_server, text):
    answer = send(hook(rasa_server), {"sender": f"empty-{uuid.uuid4().hex[:8]}", "message": text})
    assert answer.status == 200 and answer.body and answer.body[0]["text"].strip()


def test_stream_true_still_streams_rasas_replies(rasa_server):
    answer = send(f"{hook(rasa_server)}?stream=true", {"sender": f"stream-{uuid.uuid4().hex[:8]}", "message": "你好"})
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/event-stream")
    lines = answer.body.splitlines() if isinstance(answer.body, str) else [json.dumps(answer.body)]
    assert "政务服务助手" in json.loads(lines[0])["text"]


def test_a_sender_over_the_limit_is_told_when_to_retry_and_others_go_on(rasa_server):
    sender = f"flood-{uuid.uuid4().hex[:8]}"
    limit = settings.rate_limit_per_minute()
    codes = [send(hook(rasa_server), {"sender": sender, "message": "你好"}).status for _ in range(limit)]
    assert codes == [200] * limit
    marker = f"toofast{uuid.uuid4().hex[:8]}"
    answer = send(hook(rasa_server), {"sender": sender, "message": marker})
    assert answer.status == 429 and says_why(answer, "Too many messages") and "太频繁" in answer.body["error"]
    assert 1 <= int(answer.headers["retry-after"]) <= 60
    assert mentions(rasa_server[1], marker) == 0
    assert send(hook(rasa_server), {"sender": f"other-{uuid.uuid4().hex[:8]}", "message": "你好"}).status == 200


def test_an_address_over_the_limit_is_refused_by_the_address_nginx_names(rasa_server):
    """From a trusted front end (127.0.0.1) X-Forwarded-For names the citizen; each address has its own limit."""
    address = {"X-Forwarded-For": f"203.0.113.{uuid.uuid4().int % 250 + 1}"}
    limit = settings.rate_limit_per_address()
    codes = {send(hook(rasa_server), {}, headers=address).status for _ in range(limit)}  # bad ones count too
    assert codes == {400}
    answer = send(hook(rasa_server), {"sender": f"nat-{uuid.uuid4().hex[:8]}", "message": "你好"}, headers=address)
    assert answer.status == 429 and int(answer.headers["retry-after"]) >= 1
    # the front end itself (the kiosk, the relay) is not limited per address
    assert send(hook(rasa_server), {"sender": f"kiosk-{uuid.uuid4().hex[:8]}", "message": "你好"}).status == 200


def test_x_forwarded_for_from_anyone_else_is_ignored(rasa_server):
    """From 127.0.0.3 (not a front end of ours) a new X-Forwarded-For each time does not escape the limit."""
    limit = settings.rate_limit_per_address()
    codes = [
        send(hook(rasa_server), {}, source="127.0.0.3", headers={"X-Forwarded-For": f"198.51.100.{i % 250 + 1}"}).status
        for i in range(limit + 1)
    ]
    assert codes[:limit] == [400] * limit and codes[limit] == 429


def test_messages_of_one_sender_sent_at_once_are_all_answered_and_stored_in_order(rasa_server):
    url, tracker_db = rasa_server
    sender = f"burst-{uuid.uuid4().hex[:8]}"
    questions = ["办护照要带什么", "要多少钱", "在哪里办", "多久能办好", "办理时间是几点", "可以网上办吗"]
    answers: Dict[str, Answer] = {}
    threads = [
        threading.Thread(
            target=lambda q=q: answers.__setitem__(
                q, send(f"{url}/webhooks/rest/webhook", {"sender": sender, "message": q})
            )
        )
        for q in questions
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(answers[q].status == 200 and answers[q].body for q in questions), answers
    with closing(sqlite3.connect(tracker_db)) as conn:
        turns = stored_turns(conn, sender)
    assert sorted(text for kind, text in turns if kind == "user") == sorted(questions)
    assert turns_in_order(turns), turns


@pytest.mark.parametrize("server", ["rasa_server", "action_server"])
def test_rasa_and_the_action_server_listen_on_127_0_0_1_only(server, request):
    """127.0.0.2 is this machine too: a server listening on every address would answer there."""
    url = request.getfixturevalue(server)
    port = int((url[0] if isinstance(url, tuple) else url).rsplit(":", 1)[1].split("/")[0])
    socket.create_connection(("127.0.0.1", port), timeout=5).close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", port), timeout=5)


def test_make_run_starts_rasa_on_the_interface_setting(monkeypatch):
    dry_run = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "-m tools.launch " in dry_run  # which starts Rasa by rasa_command, as the tests and the benchmark do
    monkeypatch.setenv("RASA_INTERFACE", "0.0.0.0")
    command = rasa_command(5005, ROOT / "endpoints.yml", "token")
    assert command[command.index("--interface") + 1] == "0.0.0.0"
    assert settings.setting("RASA_INTERFACE").default == settings.setting("SANIC_HOST").default == "127.0.0.1"
