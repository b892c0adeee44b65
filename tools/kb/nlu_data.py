"""What `make train` derives rather than reads from hand-written files, in `nlu_data/generated/`.

`knowledge_base.yml`: every entry's name becomes an `inquire_service` example (a citizen
often just names the thing), and every name and alias goes into a `service` lookup table.
The jieba dictionary is built from the same names by the tokenizer itself. Examples
already present in the hand-written data are left out.

`service_questions.yml`: the rules for the questions about a service (the intents of
`domain_logic.replies.ANSWERS`): answered from the guide at any time, in the middle of the
checklist form (which then asks its step again), and instead of a rating (which leaves the
rating form). Adding a question intent to that table is all the rules need.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Set

import yaml

from common.settings import ROOT
from domain_logic.replies import ANSWERS, ASPECT_QUESTIONS
from knowledge_base import Catalogue

ANSWER = "action_answer_question"


def written_examples(nlu_dir: Path) -> Set[str]:
    """Every example in the hand-written NLU files, whatever its intent."""
    seen: Set[str] = set()
    for path in nlu_dir.glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu", []):
            for line in str(block.get("examples", "")).splitlines():
                if line.strip().startswith("- "):
                    seen.add(line.strip()[2:].strip())
    return seen


def nlu_data_from(catalogue: Catalogue, already: Set[str]) -> Dict:
    names = sorted({e.name for e in catalogue.entries()} - already)
    terms: List[str] = sorted({t for e in catalogue.entries() for t in (e.name, *e.aliases)})
    return {
        "version": "3.1",
        "nlu": [
            {"intent": "inquire_service", "examples": "".join(f"- {n}\n" for n in names)},
            {"lookup": "service", "examples": "".join(f"- {t}\n" for t in terms)},
        ],
    }


class _LiteralDumper(yaml.SafeDumper):
    """Example lists as `examples: |` blocks, the way Rasa's own files look."""


_LiteralDumper.add_representer(
    str, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style="|" if "\n" in v else None)
)


def question_rules() -> Dict:
    """The rules of every question intent, in the three situations a question can come in."""
    rules: List[Dict] = []
    for intent in ANSWERS:
        rules.append(
            {"rule": f"{intent} is answered from the guide", "steps": [{"intent": intent}, {"action": ANSWER}]}
        )
    for intent in ASPECT_QUESTIONS:  # naming a service is an answer to the form's question, not one
        rules.append(
            {
                "rule": f"{intent} during the checklist",
                "condition": [{"active_loop": "checklist_form"}],
                "steps": [
                    {"intent": intent},
                    {"action": ANSWER},
                    {"action": "checklist_form"},
                    {"active_loop": "checklist_form"},
                ],
            }
        )
    for intent in ANSWERS:
        rules.append(
            {
                "rule": f"{intent} instead of a rating (the prompt is ignored)",
                "condition": [{"active_loop": "feedback_form"}],
                "steps": [
                    {"intent": intent},
                    {"action": ANSWER},
                    {"action": "action_deactivate_loop"},
                    {"active_loop": None},
                ],
            }
        )
    return {"version": "3.1", "rules": rules}


def _write_if_changed(out: Path, source: str, data: Dict) -> None:
    text = f"# Generated from {source} by `make train` (python -m tools.kb nlu-data). Do not edit.\n" + yaml.dump(
        data, Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False, width=1000
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    if not out.exists() or out.read_text(encoding="utf-8") != text:
        out.write_text(text, encoding="utf-8")  # unchanged content keeps the training hash


def write_generated(catalogue: Catalogue, out_dir: Path, nlu_dir: Path = ROOT / "nlu_data" / "nlu") -> None:
    """Both generated files into `out_dir` (nlu_data/generated/)."""
    _write_if_changed(
        out_dir / "knowledge_base.yml", "the knowledge base", nlu_data_from(catalogue, written_examples(nlu_dir))
    )
    _write_if_changed(out_dir / "service_questions.yml", "domain_logic/replies.py (ANSWERS)", question_rules())
