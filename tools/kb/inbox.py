"""`kb inbox`: what citizens asked that the bot could not answer well, grouped so staff see patterns.

A thin command over the inbox's own rules (domain_logic/inbox/triage.py): each group can become an
alias, an FAQ entry or a training example, or be dismissed.
"""

from __future__ import annotations

import argparse

from common.database import StoreUnavailable
from domain_logic.inbox.store import InboxStore
from domain_logic.inbox.triage import NLU_FILE, group_similar, resolve
from knowledge_base.edits import EditRefused, KbError, operator, print_errors

__all__ = ["NLU_FILE", "list_inbox", "run_inbox"]


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


def run_inbox(args: argparse.Namespace) -> int:
    store = InboxStore(args.db)
    try:
        if args.action == "list":
            return list_inbox(store)
        try:
            ids = [int(x.lstrip("#")) for x in args.entries]
        except ValueError:
            raise KbError("条目编号应为数字，例如 12 或 #12")
        print(
            resolve(
                store,
                ids,
                args.action,
                root=args.root,
                by=operator(args),
                item=args.item,
                text=args.text,
                answer=args.answer,
                intent=args.intent,
                nlu_file=args.nlu_file,
            )
        )
        return 0
    except EditRefused as refused:
        print("没有写入，因为：")
        print_errors(refused.errors)
        return 1
    except StoreUnavailable as exc:
        raise KbError(f"数据库不可用：{exc}")
