"""Triage of the unanswered-questions inbox: similar questions grouped, and a group turned into an
alias, an FAQ entry, a training example, or dismissed; either way it leaves the inbox.

One set of rules for `kb inbox` (tools/kb/inbox.py) and the console's 待改进 page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import yaml
from rapidfuzz import fuzz

from common import settings
from common.text import normalize_text
from domain_logic.inbox.store import InboxStore
from knowledge_base.edits import KbError, alias_to, faq_to

SIMILAR = 60  # rapidfuzz ratio (0–100) at which two questions count as the same question
ACTIONS = ("alias", "faq", "example", "dismiss")
NLU_FILE = settings.ROOT / "nlu_data" / "nlu" / "from_inbox.yml"


@dataclass
class Group:
    entries: List[dict] = field(default_factory=list)

    @property
    def example(self) -> str:
        return self.entries[0]["text"]

    @property
    def first_seen(self) -> datetime:
        return min(e["at"] for e in self.entries)

    @property
    def last_seen(self) -> datetime:
        return max(e["at"] for e in self.entries)


def group_similar(entries: List[dict], threshold: int = SIMILAR) -> List[Group]:
    """Greedy grouping: each question joins the first group whose first question it resembles."""
    groups: List[Group] = []
    for entry in entries:
        text = normalize_text(entry["text"])
        for group in groups:
            if fuzz.ratio(text, normalize_text(group.example)) >= threshold:
                group.entries.append(entry)
                break
        else:
            groups.append(Group([entry]))
    return sorted(groups, key=lambda g: -len(g.entries))


def _append_training_example(nlu_file: Path, intent: str, texts: List[str]) -> None:
    """Add examples in Rasa's NLU format; the next `make train` learns them."""
    data = yaml.safe_load(nlu_file.read_text(encoding="utf-8")) if nlu_file.exists() else None
    data = data or {"version": "3.1", "nlu": []}
    block = next((b for b in data["nlu"] if b.get("intent") == intent), None)
    if block is None:
        block = {"intent": intent, "examples": ""}
        data["nlu"].append(block)
    existing = {line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")}
    block["examples"] += "".join(f"- {t}\n" for t in texts if t not in existing)
    header = "# Examples staff added from the unanswered-questions inbox (kb inbox example).\n"
    nlu_file.write_text(
        header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8"
    )


def domain_intents() -> List[str]:
    domain = yaml.safe_load((settings.ROOT / "domain.yml").read_text(encoding="utf-8"))
    return list(domain.get("intents", []))


def resolve(
    store: InboxStore,
    ids: Sequence[int],
    action: str,
    *,
    root: Path,
    by: str,
    item: Optional[str] = None,
    text: Optional[str] = None,
    answer: Optional[str] = None,
    intent: Optional[str] = None,
    nlu_file: Path = NLU_FILE,
) -> str:
    """Deal with inbox entries: an alias or FAQ entry of `item` (a checked edit with its audit trail),
    training examples of `intent`, or dismissed; they leave the inbox. The message for the staff member;
    KbError (EditRefused when the edit did not pass the checks) when nothing was done."""
    if action not in ACTIONS:
        raise KbError(f"不认识的处理方式 {action}：{'、'.join(ACTIONS)}")
    if not ids:
        raise KbError("请给出条目编号，例如 kb inbox dismiss 12 13")
    by_id: Dict[int, dict] = {e["id"]: e for e in store.inbox()}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise KbError(f"收件箱里没有 {', '.join(f'#{i}' for i in missing)}（可能已处理）")
    texts = [by_id[i]["text"] for i in ids]
    if action in ("alias", "faq"):
        if not item:
            raise KbError(f"请用 --item 指定事项编码，例如 kb inbox {action} {ids[0]} --item passport")
        if action == "alias":
            alias = text or texts[0]
            message, detail = alias_to(root, item, alias, by), f"{item}: {alias}"
        else:
            if not answer:
                raise KbError("请用 --answer 给出回答")
            question = text or texts[0]
            message, detail = faq_to(root, item, question, answer, by), f"{item}: {question}"
    elif action == "example":
        if not intent:
            raise KbError("请用 --intent 指定意图，例如 --intent ask_fee")
        if intent not in domain_intents():
            raise KbError(f"domain.yml 里没有意图 {intent}：{'、'.join(domain_intents())}")
        _append_training_example(nlu_file, intent, texts)
        detail = f"{intent} → {nlu_file.name}"
        message = f"已加入训练数据 {nlu_file}（意图 {intent}），下次 make train 生效。"
    else:
        detail = "dismissed"
        message = f"已忽略 {len(ids)} 条。"
    store.resolve(ids, action if action != "dismiss" else "dismissed", detail, by)
    return message
