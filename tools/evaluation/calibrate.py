"""Fit the dialogue's confidence (domain_logic/decision.py) on the calibration questions.

Every question of `tests/calibration/*.yml` (written for this, never the evaluation sets: about
catalogue items, and about matters the catalogue has no guide for) is parsed by the trained
model; where the understanding found candidate items rather than one named item, its evidence
and the right answer are kept. Two logistic models are fitted (the first candidate is right; the
right one is among the first three; both false for a matter outside the catalogue) with
five-fold cross-validated probabilities, the thresholds are chosen to maximise what the citizen
gets (`UTILITY`), and the result is written to domain_logic/calibration.yml with the
reliability table it printed.
"""

from __future__ import annotations

import argparse
import json
import secrets
import tempfile
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict

from tools.evaluation.end_to_end import load_set
from tools.launch.processes import ActionServer, start_rasa
from domain_logic.decision import (
    ANSWER,
    ASK,
    FEATURES,
    Calibration,
    Candidates,
    candidates_in,
    decide,
    features,
    write_calibration,
)

CALIBRATION_DIR = Path(__file__).resolve().parents[2] / "tests" / "calibration"
OUTSIDE = "outside"
# What a reply is worth to the citizen. A wrong guide costs a trip; a question back or a list a
# turn and a read; "no guide" for a matter we do cover loses the answer, for one we don't it is right.
RIGHT, WRONG, WRONG_BUT_OFFERED, CLAIMED = 1.0, -3.0, -1.0, -3.0
ASKED_RIGHT, ASKED_WRONG, OFFERED = 0.4, -0.2, -0.4
HONEST, MISSED = 0.4, -0.8


def parse(url: str, token: str, text: str) -> Dict:
    body = json.dumps({"text": text}).encode()
    request = urllib.request.Request(f"{url}/model/parse?token={token}", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def collect(url: str, token: str, questions: Sequence[Dict]) -> List[Tuple[Candidates, str]]:
    """(candidates, the right answer) for every question where the understanding found several."""
    out = []
    for q in questions:
        parsed = parse(url, token, q["q"])
        found = candidates_in(parsed)
        if found.ids:
            out.append((found, q["expect"]))
    return out


def utility(decision_kind: str, found: Candidates, options: Sequence[str], service: str, expect: str) -> float:
    outside = expect == OUTSIDE
    if decision_kind == ANSWER:
        if outside:
            return CLAIMED
        if service == expect:
            return RIGHT
        return WRONG_BUT_OFFERED if expect in options else WRONG
    if decision_kind == ASK:
        return OFFERED if outside else ASKED_RIGHT if expect in options else ASKED_WRONG
    return HONEST if outside else MISSED


def fit(cases: List[Tuple[Candidates, str]]) -> Tuple[Calibration, List[str]]:
    x = np.array([[features(found)[name] for name in FEATURES] for found, _ in cases])
    y_top = np.array([found.ids[0] == expect for found, expect in cases], dtype=int)
    y_within = np.array([expect in found.ids[:3] for found, expect in cases], dtype=int)
    models, held_out = [], []
    for y in (y_top, y_within):
        model = LogisticRegression(C=20.0, fit_intercept=False, max_iter=5000)
        held_out.append(cross_val_predict(model, x, y, cv=5, method="predict_proba")[:, 1])
        models.append(model.fit(x, y))
    weights = [dict(zip(FEATURES, map(float, m.coef_[0]))) for m in models]
    outside = sum(expect == OUTSIDE for _, expect in cases)
    notes = [
        f"{len(cases)} calibration questions where the understanding found candidates rather than one named item"
        f" ({outside} of them about matters outside the catalogue)."
    ]
    notes += reliability(held_out[0], y_top)
    best: Optional[Tuple[float, Calibration]] = None
    for answer_at in np.arange(0.30, 0.96, 0.025):
        for ask_at in np.arange(0.10, 0.96, 0.05):
            calibration = Calibration(weights[0], weights[1], float(answer_at), float(ask_at))
            total = 0.0
            for found, expect in cases:
                d = decide(found, calibration)
                total += utility(d.kind, found, d.options, d.service, expect)
            if best is None or total > best[0]:
                best = (total, calibration)
    assert best is not None
    outcome: Dict[str, int] = {}
    for found, expect in cases:
        d = decide(found, best[1])
        key = d.kind + (":right" if utility(d.kind, found, d.options, d.service, expect) > 0 else ":not")
        outcome[key] = outcome.get(key, 0) + 1
    notes.append(f"thresholds chosen for the highest utility on them: {best[0]:.1f}")
    notes.append("decisions on them: " + ", ".join(f"{k} {v}" for k, v in sorted(outcome.items())))
    return best[1], notes


def reliability(predicted: np.ndarray, actual: np.ndarray) -> List[str]:
    """Cross-validated: of the cases given about p, how many were right."""
    lines = ["reliability (5-fold held out): predicted → observed, n"]
    for low in (0.0, 0.2, 0.4, 0.6, 0.8):
        mask = (predicted >= low) & (predicted < low + 0.2 + (1e-9 if low == 0.8 else 0))
        if mask.any():
            lines.append(
                f"  {low:.1f}–{low + 0.2:.1f}: {predicted[mask].mean():.2f} → {actual[mask].mean():.2f}, {mask.sum()}"
            )
    return lines


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=Path, default=CALIBRATION_DIR, help="a folder of question files")
    parser.add_argument("--dry-run", action="store_true", help="print, do not write calibration.yml")
    args = parser.parse_args(argv)
    questions, _ = load_set(args.questions)  # the evaluation sets' reader: every question file of a folder
    folder = Path(tempfile.mkdtemp(prefix="zhengwu-calibrate-"))
    actions = ActionServer(folder / "checklists.db")
    token = secrets.token_hex(8)
    proc, url = start_rasa(actions.url, folder, token=token, debug=False)
    try:
        cases = collect(url, token, questions)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        actions.stop()
    calibration, notes = fit(cases)
    print("\n".join(notes))
    print(f"answer_at {calibration.answer_at:.3f}, ask_at {calibration.ask_at:.3f}")
    if not args.dry_run:
        write_calibration(calibration, notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
