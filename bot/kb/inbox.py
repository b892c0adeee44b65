"""`kb inbox`: what citizens asked that the bot could not answer well, grouped so staff see patterns.

Each entry can become an alias, an FAQ entry or a training example, or be
dismissed; either way it leaves the inbox (recorded in the inbox store, domain_logic.feedback.inbox).
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

import yaml
from rapidfuzz import fuzz

from bot.kb.edits import KbError, add_alias, add_faq, operator
from bot.nlu.normalize import normalize_text
from common import settings
from domain_logic.feedback.inbox import InboxStore
from domain_logic.feedback.store import StoreUnavailable

SIMILAR = 60  # rapidfuzz ratio (0–100) at which two questions count as the same question


@dataclass
class Group:
    entries: List[dict] = field(default_factory=list)

    @property
    def example(self) -> str:
        return self.entries[0]["text"]


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


def list_inbox(store: InboxStore) -> int:
    groups = group_similar(store.inbox())
    if not groups:
        print("收件箱是空的：没有待处理的问题。")
        return 0
    total = sum(len(g.entries) for g in groups)
    print(f"待处理 {total} 条，{len(groups)} 组（按相似度分组，多的在前）：")
    for n, group in enumerate(groups, 1):
        print(f"\n第 {n} 组 · {len(group.entries)} 条")
        for e in group.entries:
            guess = " / ".join(x for x in (e["intent"], e["service"]) if x) or "—"
            print(f"  #{e['id']:<5} {e['at']:%Y-%m-%d %H:%M}  {e['text']}    〔猜测：{guess}〕")
    print("\n处理：kb inbox alias|faq|example|dismiss 编号… （见 kb inbox --help）")
    return 0


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
    nlu_file.write_text(header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000),
                        encoding="utf-8")


def domain_intents() -> List[str]:
    domain = yaml.safe_load((settings.ROOT / "domain.yml").read_text(encoding="utf-8"))
    return list(domain.get("intents", []))


def run_inbox(args: argparse.Namespace) -> int:
    store = InboxStore(args.db)
    try:
        if args.action == "list":
            return list_inbox(store)
        if not args.entries:
            raise KbError("请给出条目编号，例如 kb inbox dismiss 12 13")
        by_id: Dict[int, dict] = {e["id"]: e for e in store.inbox()}
        try:
            ids = [int(x.lstrip("#")) for x in args.entries]
        except ValueError:
            raise KbError("条目编号应为数字，例如 12 或 #12")
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise KbError(f"收件箱里没有 {', '.join(f'#{i}' for i in missing)}（可能已处理）")
        texts = [by_id[i]["text"] for i in ids]

        if args.action in ("alias", "faq"):
            if not args.item:
                raise KbError(f"请用 --item 指定事项编码，例如 kb inbox {args.action} {ids[0]} --item passport")
            if args.action == "alias":
                alias = args.text or texts[0]
                status, detail = add_alias(args, args.item, alias), f"{args.item}: {alias}"
            else:
                if not args.answer:
                    raise KbError("请用 --answer 给出回答")
                question = args.text or texts[0]
                status, detail = add_faq(args, args.item, question, args.answer), f"{args.item}: {question}"
            if status != 0:
                return status
        elif args.action == "example":
            if not args.intent:
                raise KbError("请用 --intent 指定意图，例如 --intent ask_fee")
            if args.intent not in domain_intents():
                raise KbError(f"domain.yml 里没有意图 {args.intent}：{'、'.join(domain_intents())}")
            _append_training_example(args.nlu_file, args.intent, texts)
            detail = f"{args.intent} → {args.nlu_file.name}"
            print(f"已加入训练数据 {args.nlu_file}（意图 {args.intent}），下次 make train 生效。")
        else:
            detail = "dismissed"
            print(f"已忽略 {len(ids)} 条。")
        store.resolve(ids, args.action if args.action != "dismiss" else "dismissed", detail, operator(args))
        return 0
    except StoreUnavailable as exc:
        raise KbError(f"数据库不可用：{exc}")
