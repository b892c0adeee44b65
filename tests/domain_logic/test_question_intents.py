"""The question intents have one source, the answers table (domain_logic.replies.ANSWERS).

The rules are generated from it; the lists Rasa needs in domain.yml cannot be, so this test
fails when one of them disagrees with the table (a question intent added in one place only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Set

import yaml

from tools.kb.nlu_data import question_rules
from bot.nlu.components import SERVICE_INTENTS
from domain_logic.replies import ANSWERS, ASPECT_QUESTIONS

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def _not_intents(slot: str) -> Set[str]:
    mappings: List[Dict] = DOMAIN["slots"][slot]["mappings"]
    return {i for m in mappings for i in m.get("not_intent", [])}


def _trained_intents() -> Set[str]:
    found: Set[str] = set()
    for path in (ROOT / "nlu_data" / "nlu").glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        found |= {block["intent"] for block in data.get("nlu", []) if "intent" in block}
    return found


def test_every_question_intent_is_in_the_domain_and_has_examples():
    assert set(ANSWERS) <= set(DOMAIN["intents"])
    assert set(ANSWERS) <= _trained_intents()


def test_every_ask_intent_of_the_domain_has_an_answer():
    asked = {i for i in DOMAIN["intents"] if isinstance(i, str) and i.startswith("ask_")}
    assert asked == set(ASPECT_QUESTIONS)


def test_a_question_is_never_taken_as_an_answer_to_a_form():
    """The checklist step and the rating take free text, except a question about the service."""
    assert set(ASPECT_QUESTIONS) <= _not_intents("checklist_step")
    assert set(ANSWERS) <= _not_intents("rating")


def test_rules_and_the_nlu_cover_every_question_intent():
    rules = question_rules()["rules"]
    for intent in ANSWERS:
        situations = [r for r in rules if r["steps"][0] == {"intent": intent}]
        assert len(situations) == (3 if intent in ASPECT_QUESTIONS else 2), intent
        assert all(r["steps"][1] == {"action": "action_answer_question"} for r in situations)
    assert set(ANSWERS) <= SERVICE_INTENTS
