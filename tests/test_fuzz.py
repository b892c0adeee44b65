"""Random and hostile text at the NLU and the actions: nothing escapes, every reply says something."""
from __future__ import annotations

import uuid
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HOSTILE = st.sampled_from([
    "", " ", "\x00", "\u200b\u200b", "<script>alert(1)</script>", "' OR 1=1 --", "{{7*7}}", "${jndi:ldap://x}",
    "/inquire_service{\"service\": \"no-such-item\"}", "/checklist_answer{\"answer\": 5}", "/give_feedback{",
    "/restart", "/", "😀" * 300, "辦護照要帶什麼", "HOW DO I GET A PASSPORT", "护" * 5000, "\n" * 50,
    "身份证11010519491231002X", "１２３４５６", "﷽" * 20, "\ud7ff\ue000", "%s%s%s%n",
])
TEXT = st.one_of(HOSTILE, st.text(max_size=200), st.text(alphabet=st.characters(min_codepoint=0x4E00,
                                                                                max_codepoint=0x9FFF),
                                                         min_size=1, max_size=30))
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(text=TEXT)
def test_the_nlu_parses_anything(agent, event_loop_session, text):
    parse = event_loop_session.run_until_complete(agent.parse_message(text))
    assert parse["intent"]["name"]
    assert all(e["entity"] in DOMAIN_ENTITIES for e in parse["entities"])


# Every entity the NLU emits is one the domain declares (Rasa drops the others silently).
DOMAIN_ENTITIES = set(yaml.safe_load((Path(__file__).resolve().parents[1] / "domain.yml").read_text(encoding="utf-8"))
                      ["entities"])


@FUZZ
@given(first=TEXT, second=TEXT)
def test_every_message_gets_a_non_empty_reply(agent, event_loop_session, first, second):
    """Two turns, so that hostile text also meets a conversation in progress."""
    sender = f"fuzz-{uuid.uuid4().hex}"
    for text in (first, second):
        replies = event_loop_session.run_until_complete(agent.handle_text(text, sender_id=sender))
        assert replies and any((m.get("text") or "").strip() or m.get("buttons") or m.get("custom")
                               for m in replies), f"no reply to {text!r}"
