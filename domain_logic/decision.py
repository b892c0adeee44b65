"""Answer, answer with alternatives, ask one short question, or say honestly there is no guide.

When the understanding finds several candidate items rather than one named item, the
evidence (how the candidates were found, how strongly the rest of the sentence resembles
the first, how far it leads the second, what kind of question it is) is turned into two
probabilities by a logistic model: that the first candidate is the citizen's item, and
that the item is among the first three. The weights and the thresholds are fitted on
the calibration questions (`tests/calibration/`, never the evaluation sets) by
`python -m tools.evaluation.calibrate`, which writes `calibration.yml` beside this module.

A question back costs the citizen a turn and a list costs a read, but a wrong guide
costs a trip: so the first is answered when it is likely, with at most two alternatives
one tap away; the citizen is asked only when two or three are about equally likely;
and when none is likely the reply says plainly that there is no guide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Mapping, Sequence, Tuple

import yaml

CALIBRATION_FILE = Path(__file__).with_name("calibration.yml")
SOURCES = ("family", "cues", "mixed", "ambiguous", "resembled")
FEATURES = (
    "bias",
    "top",
    "margin",
    "ratio",
    "count",
    "single",
    "weak_lead",
    "question",
    "coverage",
    "unexplained",
    "out_of_scope",
    "intent_confidence",
    "department_differs",
    *SOURCES,
)
# The most item buttons one reply shows: an answer's alternatives, or a question's options.
MAX_OPTIONS = 3
MAX_ALTERNATIVES = 2

ANSWER, ASK, NO_GUIDE = "answer", "ask", "no_guide"
# Candidates among a region's imported records (the NLU's `ImportedMatcher`), which has weighed its
# own evidence (a name in the sentence, or a clear lead in resemblance): answer, or ask, as it says.
IMPORTED_ANSWER_SOURCE, IMPORTED_ASK_SOURCE = "imported_answer", "imported_ask"


@dataclass(frozen=True)
class Candidates:
    """What the understanding found: item ids best first, each with its resemblance score."""

    ids: Tuple[str, ...]
    scores: Tuple[float, ...]
    source: str  # family | cues | mixed | ambiguous | resembled
    question: bool = False  # the intent asks about some service (materials, fee…)
    coverage: float = 1.0  # how much of the question the first candidate's own words explain
    out_of_scope: float = 0.0  # the intent classifier's probability that it is no service question
    intent_confidence: float = 1.0
    department_agrees: bool = True  # the department the sentence speaks of is the first candidate's


@dataclass(frozen=True)
class Decision:
    kind: str  # answer | ask | no_guide
    service: str = ""  # the item answered
    options: Tuple[str, ...] = ()  # the alternatives under an answer, or the question's options


@dataclass(frozen=True)
class Calibration:
    top: Dict[str, float]  # weights: the first candidate is right
    within: Dict[str, float]  # weights: the right item is among the first three
    answer_at: float  # answer the first when its probability reaches this
    ask_at: float  # else ask when the right one is this likely among the first three


def candidates_in(message: Mapping[str, Any]) -> Candidates:
    """The `service_candidate` entities of a parse (the NLU's `ServiceEntityExtractor`), in its order,
    with the intent classifier's view of the question."""
    seen: Dict[str, float] = {}
    source, coverage, agrees = "", 1.0, True
    for e in message.get("entities") or []:
        if e.get("entity") == "service_candidate" and isinstance(e.get("value"), str) and e["value"] not in seen:
            if not seen:
                coverage = float(e.get("coverage", 1.0))
                agrees = bool(e.get("department_agrees", True))
            seen[e["value"]] = float(e.get("score") or 0.0)
            source = str(e.get("source") or source)
    intent = message.get("intent") or {}
    ranking = {r.get("name"): float(r.get("confidence") or 0.0) for r in message.get("intent_ranking") or []}
    return Candidates(
        tuple(seen),
        tuple(seen.values()),
        source,
        question=str(intent.get("name") or "").startswith("ask_"),
        coverage=coverage,
        out_of_scope=ranking.get("out_of_scope", 0.0),
        intent_confidence=float(intent.get("confidence") or 0.0),
        department_agrees=agrees,
    )


def features(found: Candidates) -> Dict[str, float]:
    scores = list(found.scores) + [0.0, 0.0]
    top, second = scores[0], scores[1]
    values = {
        "bias": 1.0,
        "top": top,
        "margin": top - second,
        "ratio": top / (top + second) if top + second > 0 else 0.5,
        "count": min(len(found.ids), 10) / 10,
        # One candidate, or a lead that rests on a faint resemblance, is weaker evidence than its ratio says.
        "single": 1.0 if len(found.ids) == 1 else 0.0,
        "weak_lead": 1.0 if top < 0.2 else 0.0,
        "question": 1.0 if found.question else 0.0,
        # Words of the question that the first candidate's guide never speaks of point outside the catalogue.
        "coverage": found.coverage,
        "unexplained": 1.0 if found.coverage < 0.25 else 0.0,
        "out_of_scope": found.out_of_scope,
        "intent_confidence": found.intent_confidence,
        "department_differs": 0.0 if found.department_agrees else 1.0,
    }
    values.update({s: 1.0 if found.source == s else 0.0 for s in SOURCES})
    return values


def _probability(weights: Dict[str, float], values: Dict[str, float]) -> float:
    z = sum(weights.get(name, 0.0) * value for name, value in values.items())
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def probabilities(found: Candidates, calibration: Calibration) -> Tuple[float, float]:
    """(the first is right, the right one is among the first three)."""
    values = features(found)
    return _probability(calibration.top, values), _probability(calibration.within, values)


def decide(found: Candidates, calibration: "Calibration | None" = None) -> Decision:
    calibration = calibration or load_calibration()
    if not found.ids:
        return Decision(NO_GUIDE)
    if found.source == IMPORTED_ANSWER_SOURCE:
        return Decision(ANSWER, found.ids[0], found.ids[1 : 1 + MAX_ALTERNATIVES])
    if found.source == IMPORTED_ASK_SOURCE:
        return Decision(ASK, options=found.ids[:MAX_OPTIONS])
    p_top, p_within = probabilities(found, calibration)
    # A resemblance alone is answered only with alternatives to fall back on: never a lone guess.
    lone_guess = found.source == "resembled" and len(found.ids) == 1
    if (p_top >= calibration.answer_at and not lone_guess) or (len(found.ids) == 1 and not lone_guess):
        return Decision(ANSWER, found.ids[0], found.ids[1 : 1 + MAX_ALTERNATIVES])
    # A family word and nothing the family's guides do not explain (驾照怎么办): ask, never "no guide".
    # Otherwise words the guides never speak of (公积金账户被冻结) may mean a matter without a guide.
    explained = found.coverage >= 1.0 and found.source != "resembled"
    if p_within >= calibration.ask_at or explained:
        return Decision(ASK, options=found.ids[:MAX_OPTIONS])
    return Decision(NO_GUIDE)


@lru_cache(maxsize=1)
def load_calibration(path: Path = CALIBRATION_FILE) -> Calibration:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Calibration(
        top={k: float(v) for k, v in data["top"].items()},
        within={k: float(v) for k, v in data["within"].items()},
        answer_at=float(data["answer_at"]),
        ask_at=float(data["ask_at"]),
    )


def write_calibration(calibration: Calibration, notes: Sequence[str], path: Path = CALIBRATION_FILE) -> None:
    header: List[str] = [
        "# Written by `python -m tools.evaluation.calibrate` from tests/calibration/ (never the evaluation sets).",
        *(f"# {line}" for line in notes),
    ]
    body = {
        "answer_at": round(calibration.answer_at, 3),
        "ask_at": round(calibration.ask_at, 3),
        "top": {k: round(v, 4) for k, v in calibration.top.items()},
        "within": {k: round(v, 4) for k, v in calibration.within.items()},
    }
    path.write_text("\n".join(header) + "\n" + yaml.safe_dump(body, allow_unicode=True, sort_keys=False), "utf-8")
