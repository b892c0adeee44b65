"""What to ask and what to bring, for one item or one life event.

The conditions live in the knowledge base (a material's `when:`); this module
only reads them, so staff add a question without a developer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Tuple, Union

from knowledge_base import Bundle, BundleMaterial, Catalogue, Question, ServiceItem, merge_materials

Entry = Union[ServiceItem, Bundle]

READY, MISSING, UNSURE = "已备好", "还没有", "不确定"
UNKNOWN = ""  # a question the citizen could not answer: its materials stay listed (Material.applies_to)


@dataclass
class Progress:
    """Where one citizen is in preparing one entry. Plain data, saved as JSON."""

    entry_id: str
    answers: Dict[str, str] = field(default_factory=dict)  # question id → option (or UNKNOWN)
    statuses: Dict[str, str] = field(default_factory=dict)  # material name → READY/MISSING/UNSURE
    retries: int = 0  # invalid answers to the current step

    def to_dict(self) -> dict:
        return {"entry_id": self.entry_id, "answers": self.answers, "statuses": self.statuses, "retries": self.retries}

    @classmethod
    def from_dict(cls, d: Mapping) -> "Progress":
        return cls(d["entry_id"], dict(d.get("answers", {})), dict(d.get("statuses", {})), int(d.get("retries", 0)))


def members(entry: Entry) -> Tuple[ServiceItem, ...]:
    return entry.members if isinstance(entry, Bundle) else (entry,)


def implied(entry: Entry) -> Dict[str, str]:
    return dict(entry.implied_answers) if isinstance(entry, Bundle) else {}


def materials_for(entry: Entry, answers: Mapping[str, str]) -> Tuple[BundleMaterial, ...]:
    """The materials this citizen needs, each once, with the items (windows) that need it."""
    return merge_materials(members(entry), {**implied(entry), **answers})


def questions_for(entry: Entry, catalogue: Catalogue) -> List[Question]:
    """Only the questions that change the list, each once, shared ones first."""
    seen: Dict[str, Question] = {}
    for item in members(entry):
        known = catalogue.questions_for(item)
        for m in item.materials:
            for qid in m.when:
                if qid in known and qid not in seen and qid not in implied(entry):
                    seen[qid] = known[qid]
    shared_order = list(catalogue.shared_questions)
    return sorted(seen.values(), key=lambda q: shared_order.index(q.id) if q.id in shared_order else len(shared_order))


@dataclass(frozen=True)
class Step:
    """The next thing to ask: a question, a material, or nothing (the sheet is ready)."""

    question: Optional[Question] = None
    needed: Optional[BundleMaterial] = None

    @property
    def done(self) -> bool:
        return self.question is None and self.needed is None


def next_step(entry: Entry, catalogue: Catalogue, progress: Progress) -> Step:
    for q in questions_for(entry, catalogue):
        if q.id not in progress.answers:
            return Step(question=q)
    for needed in materials_for(entry, progress.answers):
        if needed.material.name not in progress.statuses:
            return Step(needed=needed)
    return Step()
