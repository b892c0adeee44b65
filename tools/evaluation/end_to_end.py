"""`make eval`: the frozen citizen questions through the REST channel, each as a new conversation.

Starts the action server and `rasa run` as `make run` does (tools/launch/processes.py), sends
every question as the first message of a fresh conversation, reads each reply as a
citizen would (`reading.py`), and prints the figures by family and department. The
multi-turn scenarios are conversations of their own, every turn judged.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import secrets
import tempfile
import time
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

from tools.evaluation.reading import Reading, Verdict, judge, read_reply
from tools.launch.processes import ActionServer, start_rasa
from common import settings
from knowledge_base import KNOWLEDGE_BASE_DIR, Bundle, Catalogue, load_catalogue

EVAL_DIR = Path(__file__).resolve().parents[2] / "tests" / "eval" / "citizens"
BLIND_DIR = EVAL_DIR.with_name("citizens-holdout")
# Questions about a region's imported matters, written blind from the records' names (issue 27);
# asked only when a profile's import is loaded (KB_PROFILE), and, as a blind set, reported as figures only.
IMPORTED_DIR = EVAL_DIR.with_name("imported-holdout")
SCENARIOS = "scenarios.yml"


def ask(url: str, sender: str, text: str) -> List[Dict]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


@dataclass
class Result:
    question: Dict
    reading: Reading
    verdict: Verdict


class Reader:
    """The catalogue's names as a citizen sees them, for reading replies. A region's imported records
    are read by name: two departments' 兼职律师执业许可 are one answer to the citizen."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.names = {e.name: e.id for e in catalogue.entries()}
        self._imported_ids: Dict[str, str] = {}  # imported record's code → the first code of its name
        for record in catalogue.imported.values():
            self.names.setdefault(record.name, record.id)
            self._imported_ids[record.id] = self.names[record.name]
        self.departments = {d.name: d.id for d in catalogue.departments.values()}

    def read(self, messages: Sequence[Dict]) -> Reading:
        reading = read_reply(messages, self.names, self.departments)
        options = tuple(dict.fromkeys(self._imported_ids.get(o, o) for o in reading.options))
        return dataclasses.replace(reading, options=options)

    def imported_id(self, name: str) -> str:
        """What a question of the imported set expects: the record of that name (or the name, a miss)."""
        return self.names.get(name, name)

    def family_of(self, entry_id: str) -> str:
        entry = self.catalogue.get(entry_id)
        if entry is None:
            return "?"
        if isinstance(entry, Bundle):
            return "一件事"
        family = self.catalogue.families.get(entry.family or "")
        return family.name if family else "其他"


def run_questions(url: str, reader: Reader, questions: List[Dict], workers: int = 4) -> List[Result]:
    def one(pair: Tuple[int, Dict]) -> Result:
        n, q = pair
        reading = reader.read(ask(url, f"eval-{n}-{secrets.token_hex(4)}", q["q"]))
        return Result(q, reading, judge(reading, q["expect"], q.get("department")))

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, enumerate(questions)))


def run_scenarios(url: str, reader: Reader, scenarios: List[Dict]) -> List[Tuple[Dict, List[Result]]]:
    """Each scenario is one conversation. When the bot asks back with the right option, the citizen
    presses that button (its reply is not judged) and goes on typing, as at the kiosk."""
    out = []
    for n, scenario in enumerate(scenarios):
        sender = f"scenario-{n}-{secrets.token_hex(4)}"
        turns = []
        for turn in scenario["turns"]:
            messages = ask(url, sender, turn["say"])
            reading = reader.read(messages)
            result = Result(turn, reading, judge(reading, turn["expect"], turn.get("department")))
            turns.append(result)
            if result.verdict.category == "asked_right":
                ask(url, sender, button_for(messages, turn["expect"]))
        out.append((scenario, turns))
    return out


def button_for(messages: Sequence[Dict], entry_id: str) -> str:
    for m in messages:
        for b in m.get("buttons") or []:
            if f'"service": "{entry_id}"' in str(b.get("payload", "")):
                return str(b["payload"])
    raise ValueError(f"no button for {entry_id}")


def turn_passed(result: Result, strict: bool = False) -> bool:
    """Right, honest, or (unless strict) a short question back with the right option that the citizen pressed."""
    return result.verdict.category in (("right", "honest") if strict else ("right", "honest", "asked_right"))


def pct(n: int, d: int) -> str:
    return f"{100 * n / d:5.1f}%" if d else "   — "


def _share(n: int, d: int) -> float:
    return 100.0 * n / d if d else 100.0


def figures(results: List[Result], scenarios: List[Tuple[Dict, List[Result]]]) -> Dict[str, float]:
    """The headline figures, in per cent: what the report prints first and what the gate checks."""
    inside = [r for r in results if r.question["expect"] != "outside"]
    outside = [r for r in results if r.question["expect"] == "outside"]
    government = [r for r in outside if r.verdict.department_named is not None]
    c_in = Counter(r.verdict.category for r in inside)
    c_out = Counter(r.verdict.category for r in outside)
    out = {
        "answered outright right": _share(c_in["right"], len(inside)),
        "right or asked (≤ 3 options)": _share(c_in["right"] + c_in["asked_right"], len(inside)),
        "another item answered": _share(c_in["wrong"], len(inside)),
        "another item claimed": _share(c_out["claimed"], len(outside)),
        "items offered": _share(c_out["offered"], len(outside)),
        "right department named": _share(sum(bool(r.verdict.department_named) for r in government), len(government)),
    }
    if scenarios:
        out["scenarios outright on every turn"] = _share(
            sum(all(turn_passed(t, strict=True) for t in turns) for _, turns in scenarios), len(scenarios)
        )
    return out


def menus_shown(results: Iterable[Result]) -> int:
    """Replies that showed more than three item buttons: never wanted, whatever the question."""
    return sum(1 for r in results if r.reading.is_menu)


def report(results: List[Result], scenarios: List[Tuple[Dict, List[Result]]], reader: Reader, show_errors: bool) -> str:
    inside = [r for r in results if r.question["expect"] != "outside"]
    outside = [r for r in results if r.question["expect"] == "outside"]
    c_in = Counter(r.verdict.category for r in inside)
    c_out = Counter(r.verdict.category for r in outside)
    government = [r for r in outside if r.verdict.department_named is not None]
    named = sum(1 for r in government if r.verdict.department_named)
    passed = sum(1 for _, turns in scenarios if all(turn_passed(t) for t in turns))
    strictly = sum(1 for _, turns in scenarios if all(turn_passed(t, strict=True) for t in turns))
    every_turn = [t for _, turns in scenarios for t in turns]
    lines = [
        f"questions: {len(results)} ({len(inside)} name a catalogue item, {len(outside)} outside it)",
        "",
        "naming a catalogue item:",
        f"  answered outright right         {pct(c_in['right'], len(inside))}  ({c_in['right']})",
        f"  asked (≤ 3 options), right among {pct(c_in['asked_right'], len(inside))}  ({c_in['asked_right']})",
        f"  right or asked (≤ 3 options)    {pct(c_in['right'] + c_in['asked_right'], len(inside))}",
        f"  menu of more than 3 (a miss)    {pct(c_in['menu'], len(inside))}  ({c_in['menu']})",
        f"  another item answered           {pct(c_in['wrong'], len(inside))}  ({c_in['wrong']})",
        f"  no answer                       {pct(c_in['no_answer'], len(inside))}  ({c_in['no_answer']})",
        "outside the catalogue:",
        f"  honest (no item offered)        {pct(c_out['honest'], len(outside))}  ({c_out['honest']})",
        f"  items offered                   {pct(c_out['offered'], len(outside))}  ({c_out['offered']})",
        f"  another item claimed            {pct(c_out['claimed'], len(outside))}  ({c_out['claimed']})",
        f"  right department named          {pct(named, len(government))}  ({named} of {len(government)} "
        "government matters)",
        f"replies with more than 3 item buttons: {menus_shown([*results, *every_turn])}",
    ]
    if scenarios:
        lines += [
            f"multi-turn scenarios passed:      {pct(passed, len(scenarios))}  ({passed}/{len(scenarios)}; a short "
            "question back with the right option counts, and the citizen presses it)",
            f"  … every turn answered outright: {pct(strictly, len(scenarios))}  ({strictly}/{len(scenarios)})",
        ]
    if not show_errors:
        return "\n".join(lines)  # a blind set: aggregates only, so that nobody tunes to its misses
    lines += ["", "by family                 n   right  asked   menu  wrong   none"]
    by_family: Dict[str, Counter] = defaultdict(Counter)
    for r in inside:
        by_family[reader.family_of(r.question["expect"])][r.verdict.category] += 1
    for family, c in sorted(by_family.items(), key=lambda kv: -sum(kv[1].values())):
        n = sum(c.values())
        lines.append(
            f"  {family:<20}{n:4d} {pct(c['right'], n)} {pct(c['asked_right'], n)} {pct(c['menu'], n)} "
            f"{pct(c['wrong'], n)} {pct(c['no_answer'], n)}"
        )
    lines.append("\noutside, by department     n  claimed  offered  dept named")
    by_dept: Dict[str, List[Result]] = defaultdict(list)
    for r in outside:
        by_dept[str(r.question.get("department") or "none")].append(r)
    for dept, rs in sorted(by_dept.items(), key=lambda kv: -len(kv[1])):
        claimed = sum(1 for r in rs if r.verdict.category == "claimed")
        offered = sum(1 for r in rs if r.verdict.category == "offered")
        gov = [r for r in rs if r.verdict.department_named is not None]
        lines.append(
            f"  {dept:<22}{len(rs):4d}  {pct(claimed, len(rs))}  {pct(offered, len(rs))}  "
            f"{pct(sum(1 for r in gov if r.verdict.department_named), len(gov))}"
        )
    lines.append("\nerrors:")
    for r in results:
        if r.verdict.category not in ("right", "honest") or r.verdict.department_named is False:
            lines.append(
                f"  [{r.verdict.category}] {r.question['q'][:50]!r} want {r.question['expect']}"
                f"/{r.question.get('department', '')} got {r.reading.outcome} {r.reading.entry or ''}"
                f" {','.join(r.reading.options[:4])} {','.join(r.reading.departments)}"
            )
    for scenario, turns in scenarios:
        if not all(turn_passed(t, strict=True) for t in turns):
            steps = " → ".join(
                f"{t.question['say'][:16]}[{t.verdict.category}:{t.reading.entry or t.reading.outcome}]" for t in turns
            )
            lines.append(f"  [scenario] {scenario['name']}: {steps}")
    return "\n".join(lines)


# Issue 24's targets: printed for both sets, met or not. Not yet all met (docs/accuracy.md).
TARGETS = {
    "answered outright right": (">=", 80.0),
    "right or asked (≤ 3 options)": (">=", 92.0),
    "another item answered": ("<=", 3.0),
    "another item claimed": ("<=", 5.0),
    "items offered": ("<=", 20.0),
    "right department named": (">=", 88.0),
    "scenarios outright on every turn": (">=", 80.0),
}
# The regression gate: `make eval` fails on the development set beyond these (CI runs it). They sit
# just under today's figures, so a change that makes citizens' answers worse cannot land silently;
# raise them towards TARGETS as the figures rise.
GATE = {
    "answered outright right": (">=", 73.0),
    "right or asked (≤ 3 options)": (">=", 90.5),
    "another item answered": ("<=", 3.0),
    "another item claimed": ("<=", 5.5),
    "items offered": ("<=", 32.5),
    "right department named": (">=", 86.0),
    "scenarios outright on every turn": (">=", 62.0),
}


def gate_failures(
    results: List[Result], scenarios: List[Tuple[Dict, List[Result]]], limits: Dict[str, Tuple[str, float]] = GATE
) -> List[str]:
    """The figures that are on the wrong side of their threshold in `limits`, worded for the log."""
    measured = figures(results, scenarios)
    return [
        f"{name}: {measured[name]:.1f} % (must be {op} {limit:.1f} %)"
        for name, (op, limit) in limits.items()
        if name in measured and (measured[name] < limit if op == ">=" else measured[name] > limit)
    ]


def load_set(folder: Path, limit: int = 0) -> Tuple[List[Dict], List[Dict]]:
    """Every question file in `folder` (all but the scenarios), and its scenarios if it has any."""
    questions: List[Dict] = []
    for path in sorted(folder.glob("*.yml")):
        if path.name != SCENARIOS:
            batch = yaml.safe_load(path.read_text(encoding="utf-8")) or []
            questions += batch[:limit] if limit else batch
    scenario_file = folder / SCENARIOS
    scenarios = (yaml.safe_load(scenario_file.read_text(encoding="utf-8")) or []) if scenario_file.exists() else []
    return questions, scenarios[:limit] if limit else scenarios


def gate_line(failures: List[str], limits: Dict[str, Tuple[str, float]] = GATE) -> str:
    gate = "; ".join(f"{name} {op} {limit:g} %" for name, (op, limit) in limits.items())
    return f"({gate}): " + ("passed" if not failures else "FAILED\n  " + "\n  ".join(failures))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=EVAL_DIR, help="the development set (frozen, tuned on)")
    parser.add_argument("--blind", type=Path, default=BLIND_DIR, help="the blind set: only its figures are printed")
    parser.add_argument("--errors", action="store_true", help="list the development set's misses")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions of each file (a quick look)")
    args = parser.parse_args(argv)
    questions, scenarios = load_set(args.dir, args.limit)
    blind_questions, _ = load_set(args.blind, args.limit) if args.blind.is_dir() else ([], [])
    reader = Reader(load_catalogue(KNOWLEDGE_BASE_DIR, imports=settings.kb_imports_dir()))
    imported_questions: List[Dict] = []
    if reader.catalogue.imported and IMPORTED_DIR.is_dir():
        imported_questions, _ = load_set(IMPORTED_DIR, args.limit)
        imported_questions = [{**q, "expect": reader.imported_id(q["name"])} for q in imported_questions]
    profile = settings.kb_profile()
    folder = Path(tempfile.mkdtemp(prefix="zhengwu-eval-"))
    actions = ActionServer(folder / "checklists.db")
    proc, url = start_rasa(actions.url, folder, token=secrets.token_hex(8), debug=False)
    try:
        started = time.monotonic()
        results = run_questions(url, reader, questions)
        turns = run_scenarios(url, reader, scenarios)
        blind = run_questions(url, reader, blind_questions)
        imported = run_questions(url, reader, imported_questions)
        if profile:
            print(f"profile {profile}: {len(reader.catalogue.imported)} imported records beside our guides\n")
        print(f"==== development set ({args.dir.name}) ====")
        print(report(results, turns, reader, args.errors))
        if blind:
            print(f"\n==== blind set ({args.blind.name}): figures only, never its misses ====")
            print(report(blind, [], reader, show_errors=False))
        if imported:
            print(f"\n==== imported matters ({IMPORTED_DIR.name}, blind): figures only ====")
            print(report(imported, [], reader, show_errors=False))
        print(f"\n({time.monotonic() - started:.0f} s through the REST channel)")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        actions.stop()
    if args.limit:
        return 0  # a quick look is no measurement
    failures = gate_failures(results, turns)
    print("\nissue 24's targets, development set " + gate_line(gate_failures(results, turns, TARGETS), TARGETS))
    if blind:
        print("issue 24's targets, blind set " + gate_line(gate_failures(blind, [], TARGETS), TARGETS))
    print("\nregression gate on the development set " + gate_line(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
