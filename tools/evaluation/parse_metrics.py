"""`make eval`: intent accuracy, service routing and parse latency on held-out questions.

Parses every question with the trained model exactly as `POST /model/parse`
does, and prints the figures docs/accuracy.md quotes.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional

import yaml


def service_of(parse: Dict) -> Optional[str]:
    for e in parse.get("entities", []):
        if e.get("entity") == "service":
            return e.get("value")
    return None


def f1_table(pairs: List[tuple]) -> Dict[str, tuple]:
    """intent → (precision, recall, f1, support) from (expected, predicted) pairs."""
    labels = sorted({e for e, _ in pairs})
    out = {}
    for label in labels:
        tp = sum(1 for e, p in pairs if e == label and p == label)
        fp = sum(1 for e, p in pairs if e != label and p == label)
        fn = sum(1 for e, p in pairs if e == label and p != label)
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[label] = (prec, rec, f1, tp + fn)
    return out


def percentile(values: List[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


async def evaluate(model: str, questions_file: str, show_errors: bool) -> int:
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    agent = Agent.load(model)
    questions = yaml.safe_load(Path(questions_file).read_text(encoding="utf-8"))
    await agent.parse_message("预热")  # first parse builds lazy state
    pairs, latencies, errors = [], [], []
    routed = named = false_services = unnamed = 0
    for q in questions:
        start = time.perf_counter()
        parse = await agent.parse_message(q["text"])
        latencies.append((time.perf_counter() - start) * 1000)
        intent = (parse.get("intent") or {}).get("name")
        pairs.append((q["intent"], intent))
        got = service_of(parse)
        want = q.get("service")
        if want:
            named += 1
            routed += got == want
        else:
            unnamed += 1
            false_services += got is not None
        if intent != q["intent"] or got != want:
            errors.append(f"  {q['text'][:40]!r}: intent {q['intent']}→{intent}, service {want}→{got}")

    intent_acc = sum(e == p for e, p in pairs) / len(pairs)
    print(f"questions: {len(questions)} ({named} name a service)")
    print(f"intent accuracy:          {intent_acc:.1%}")
    print(f"service routing accuracy: {routed / named:.1%}  ({routed}/{named} questions that name a service)")
    print(f"false service on others:  {false_services}/{unnamed}")
    print(
        f"parse latency:            p50 {percentile(latencies, 0.5):.1f} ms, p95 {percentile(latencies, 0.95):.1f} ms"
    )
    print("\nper-intent     precision  recall     F1  support")
    for label, (p, r, f, n) in f1_table(pairs).items():
        print(f"{label:18s} {p:6.2f} {r:7.2f} {f:6.2f} {n:8d}")
    confusions = Counter((e, p) for e, p in pairs if e != p).most_common(8)
    if confusions:
        print("\nmost common confusions:", ", ".join(f"{e}→{p} ×{n}" for (e, p), n in confusions))
    if show_errors:
        print("\nerrors:\n" + "\n".join(errors))
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="models/zhengwu.tar.gz")
    parser.add_argument("--questions", default="tests/eval/questions.yml")
    parser.add_argument("--errors", action="store_true", help="list every misrecognised question")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    raise SystemExit(asyncio.run(evaluate(args.model, args.questions, args.errors)))


if __name__ == "__main__":
    main()
