"""The dialogue's choice between answering, answering with alternatives, asking, and saying there is no guide."""

from __future__ import annotations

from domain_logic.decision import (
    ANSWER,
    ASK,
    MAX_OPTIONS,
    NO_GUIDE,
    Calibration,
    Candidates,
    candidates_in,
    decide,
    load_calibration,
)

# Probability of the first candidate rises with its lead; of "among three" with any resemblance at all.
CALIBRATION = Calibration(
    top={"bias": -3.0, "margin": 20.0}, within={"bias": -2.0, "top": 10.0}, answer_at=0.6, ask_at=0.5
)


def found(scores, source="ambiguous", ids=None) -> Candidates:
    ids = ids or tuple(f"item-{i}" for i in range(len(scores)))
    return Candidates(tuple(ids), tuple(scores), source)


def test_a_clear_lead_is_answered_with_at_most_two_alternatives():
    decision = decide(found([0.6, 0.1, 0.05, 0.04, 0.01]), CALIBRATION)
    assert decision.kind == ANSWER and decision.service == "item-0"
    assert decision.options == ("item-1", "item-2")


def test_equal_candidates_get_one_short_question_of_at_most_three():
    decision = decide(found([0.3, 0.3, 0.29, 0.28, 0.2], source="family"), CALIBRATION)
    assert decision.kind == ASK and len(decision.options) == MAX_OPTIONS


def test_a_faint_resemblance_is_no_guide_but_a_family_word_alone_is_still_asked():
    faint = [0.02, 0.02, 0.01]
    assert decide(found(faint, source="resembled"), CALIBRATION).kind == NO_GUIDE
    assert decide(found(faint, source="family"), CALIBRATION).kind == ASK


def test_a_family_word_with_words_no_guide_explains_may_be_no_guide():
    """公积金账户被冻结了怎么解冻: 公积金 names the family, but nothing of its guides speaks of 冻结."""
    unexplained = Candidates(("a", "b", "c"), (0.02, 0.02, 0.01), "family", coverage=0.2)
    assert decide(unexplained, CALIBRATION).kind == NO_GUIDE


def test_another_departments_matter_weighs_against_the_first_candidate():
    calibration = Calibration(
        top={"bias": -3.0, "margin": 20.0, "department_differs": -10.0},
        within={"bias": -2.0, "top": 10.0, "department_differs": -10.0},
        answer_at=0.6,
        ask_at=0.5,
    )
    lead = ("a", "b"), (0.6, 0.1), "cues"
    assert decide(Candidates(*lead, coverage=0.5), calibration).kind == ANSWER
    assert decide(Candidates(*lead, coverage=0.5, department_agrees=False), calibration).kind == NO_GUIDE


def test_the_parse_entities_are_read_in_their_order_with_the_intent_classifiers_view():
    message = {
        "intent": {"name": "ask_materials", "confidence": 0.7},
        "intent_ranking": [{"name": "ask_materials", "confidence": 0.7}, {"name": "out_of_scope", "confidence": 0.2}],
        "entities": [
            {"entity": "service", "value": "passport"},
            {
                "entity": "service_candidate",
                "value": "b",
                "score": 0.4,
                "source": "cues",
                "coverage": 0.5,
                "department_agrees": False,
            },
            {"entity": "service_candidate", "value": "a", "score": 0.1, "source": "cues", "coverage": 0.5},
            {"entity": "service_candidate", "value": "b", "score": 0.4, "source": "cues", "coverage": 0.5},
        ],
    }
    assert candidates_in(message) == Candidates(
        ("b", "a"),
        (0.4, 0.1),
        "cues",
        question=True,
        coverage=0.5,
        out_of_scope=0.2,
        intent_confidence=0.7,
        department_agrees=False,
    )


def test_the_shipped_calibration_loads_and_decides():
    calibration = load_calibration()
    assert 0.0 < calibration.answer_at < 1.0 and 0.0 < calibration.ask_at < 1.0
    assert decide(found([0.9, 0.0], source="cues"), calibration).kind == ANSWER
