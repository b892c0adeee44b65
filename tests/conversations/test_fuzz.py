"""Random and hostile text at the NLU and the actions, random JSON at the HTTP doors: nothing escapes,
every message gets a reply or a clear refusal, and nothing over the stated sizes is stored."""

from __future__ import annotations

import json
import sqlite3
import uuid
from contextlib import closing
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import Answer, Kiosk, post_raw

from common import settings as common_settings

HOSTILE = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\u200b\u200b",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "{{7*7}}",
        "${jndi:ldap://x}",
        '/inquire_service{"service": "no-such-item"}',
        '/checklist_answer{"answer": 5}',
        "/give_feedback{",
        "/restart",
        "/",
        "😀" * 300,
        "辦護照要帶什麼",
        "HOW DO I GET A PASSPORT",
        "护" * 5000,
        "\n" * 50,
        "身份证11010519491231002X",
        "１２３４５６",
        "﷽" * 20,
        "\ud7ff\ue000",
        "%s%s%s%n",
    ]
)
TEXT = st.one_of(
    HOSTILE,
    st.text(max_size=200),
    st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=30),
)
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(text=TEXT)
def test_the_nlu_parses_anything(agent, event_loop_session, text):
    parse = event_loop_session.run_until_complete(agent.parse_message(text))
    assert parse["intent"]["name"]
    assert all(e["entity"] in DOMAIN_ENTITIES for e in parse["entities"])


# Every entity the NLU emits is one the domain declares (Rasa drops the others silently).
DOMAIN_ENTITIES = set(
    yaml.safe_load((Path(__file__).resolve().parents[2] / "domain.yml").read_text(encoding="utf-8"))["entities"]
)


@FUZZ
@given(first=TEXT, second=TEXT)
def test_every_message_gets_a_non_empty_reply(agent, event_loop_session, first, second):
    """Two turns, so that hostile text also meets a conversation in progress."""
    sender = f"fuzz-{uuid.uuid4().hex}"
    for text in (first, second):
        replies = event_loop_session.run_until_complete(agent.handle_text(text, sender_id=sender))
        assert replies and any((m.get("text") or "").strip() or m.get("buttons") or m.get("custom") for m in replies), (
            f"no reply to {text!r}"
        )


# ---- random JSON bodies at the two HTTP doors: Rasa's REST channel and the kiosk's API ----------
LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), TEXT)
ANY_JSON = st.recursive(
    LEAF,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
DEEP = st.integers(1, 6000).map(lambda depth: "[" * depth + "]" * depth)
LONG_TEXT = st.integers(990, 1010).map(lambda n: "护" * n)


def raw_bodies(fields: dict) -> st.SearchStrategy[bytes]:
    """Any JSON at all, an object with some of `fields` (each right or of any type), or bytes that are not JSON."""
    objects = st.fixed_dictionaries({}, optional={name: st.one_of(good, ANY_JSON) for name, good in fields.items()})
    as_json = st.one_of(ANY_JSON, objects, objects, objects).map(lambda v: json.dumps(v).encode())
    return st.one_of(as_json, as_json, as_json, DEEP.map(str.encode), st.binary(max_size=64))


REST_BODIES = raw_bodies(
    {
        "sender": st.one_of(st.uuids().map(str), st.text(max_size=140)),
        "message": st.one_of(TEXT, LONG_TEXT),
        "input_channel": st.sampled_from(["kiosk", "x" * 200]),
        "metadata": st.dictionaries(st.text(max_size=8), LEAF, max_size=3),
    }
)
KIOSK_BODIES = raw_bodies(
    {
        "session": st.one_of(st.from_regex(r"\A[A-Za-z0-9-]{8,64}\Z"), st.text(max_size=70)),
        "text": st.one_of(TEXT, LONG_TEXT),
    }
)
HTTP_FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))


def a_reply_or_a_clear_refusal(answer: Answer) -> None:
    assert answer.status < 500, answer
    if answer.status < 300:
        replies = answer.body if isinstance(answer.body, list) else answer.body["messages"]
        assert any(
            (m.get("text") or "").strip() or m.get("buttons") or m.get("custom") or m.get("checklist") for m in replies
        ), answer
    else:
        assert 400 <= answer.status < 500 and isinstance(answer.body, dict) and answer.body["error"], answer


@pytest.fixture(scope="module")
def kiosk(rasa_server):
    running = Kiosk(rasa_server[0])
    try:
        yield running.url
    finally:
        assert "Traceback" not in running.stop()


@HTTP_FUZZ
@given(body=REST_BODIES)
def test_any_body_at_the_rest_channel_gets_a_reply_or_a_clear_refusal(rasa_server, body):
    a_reply_or_a_clear_refusal(post_raw(f"{rasa_server[0]}/webhooks/rest/webhook", body))


@HTTP_FUZZ
@given(body=KIOSK_BODIES)
def test_any_body_at_the_kiosk_gets_a_reply_or_a_clear_refusal(kiosk, body):
    a_reply_or_a_clear_refusal(post_raw(f"{kiosk}/api/message", body))


def test_the_tracker_store_holds_no_message_over_the_limits(rasa_server):
    """After everything above (and every other test of the session): nothing stored is over the stated sizes."""
    with closing(sqlite3.connect(rasa_server[1])) as conn:
        users = [json.loads(data) for (data,) in conn.execute("select data from events where type_name = 'user'")]
    assert users, "the fuzz tests above stored their messages here"
    assert max(len(u.get("text") or "") for u in users) <= common_settings.max_message_chars()
    assert max(len(json.dumps(u.get("metadata") or {})) for u in users) <= common_settings.max_request_bytes()
    assert max(len(u.get("input_channel") or "") for u in users) <= common_settings.max_sender_chars()
