"""Staff tool for the 差评 workflow.

    python -m bot.feedback cases [--overdue]
    python -m bot.feedback show CASE
    python -m bot.feedback move CASE 整改中 --note "已联系群众" [--by 张三]
    python -m bot.feedback close CASE --note "回访满意"          (→ 已回访)

The operator's name comes from --by or $KB_OPERATOR (else the login name).
"""
from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime

from common import settings
from domain_logic.feedback.store import RATINGS, FeedbackStore, InvalidTransition, StoreUnavailable


def _table(cases, now: datetime) -> str:
    lines = [f"{'案件':>4}  {'状态':<4}  {'事项':<26} {'评价':<5} {'维度':<8} {'回访期限':<16} {'整改期限':<16} 逾期"]
    for c in cases:
        lines.append(f"{c.id:>4}  {c.status:<4}  {c.entry_id:<26} {RATINGS[c.rating]:<5} {c.dimension or '-':<8} "
                     f"{c.callback_due:%Y-%m-%d %H:%M}  {c.rectify_due:%Y-%m-%d %H:%M}  "
                     f"{'是' if c.overdue(now) else ''}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.feedback", description="差评案件处理")
    parser.add_argument("--db", help="数据库 URL（默认 $DATABASE_URL 或 var/feedback.db）")
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("cases", help="列出案件")
    listing.add_argument("--overdue", action="store_true", help="只列逾期的")
    show = sub.add_parser("show", help="案件详情与处理记录")
    show.add_argument("case", type=int)
    move = sub.add_parser("move", help="推进案件状态")
    move.add_argument("case", type=int)
    move.add_argument("to", help="目标状态：整改中、已整改、已回访、申诉、复核结果")
    close = sub.add_parser("close", help="回访后结案（→ 已回访）")
    close.add_argument("case", type=int)
    for p in (move, close):
        p.add_argument("--note", required=True, help="处理说明")
        p.add_argument("--by", default=settings.kb_operator() or getpass.getuser(), help="经办人")
    args = parser.parse_args(argv)

    store = FeedbackStore(args.db)
    now = datetime.now()
    try:
        if args.command == "cases":
            found = store.cases(overdue_at=now if args.overdue else None)
            print(_table(found, now) if found else "没有案件。")
        elif args.command == "show":
            case = store.case(args.case)
            if case is None:
                print(f"没有编号为 {args.case} 的案件", file=sys.stderr)
                return 1
            print(_table([case], now))
            print(f"意见：{case.comment or '-'}　回访电话：{case.phone or '未留'}")
            for h in store.history(args.case):
                print(f"  {h['at']:%Y-%m-%d %H:%M}  {h['from_status'] or '—'} → {h['to_status']}  {h['actor']}  {h['note'] or ''}")
        else:
            target = "已回访" if args.command == "close" else args.to
            case = store.move(args.case, target, args.by, args.note)
            print(f"案件 {case.id} 已转为“{case.status}”。")
    except InvalidTransition as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except StoreUnavailable:
        print("无法连接评价数据库，请稍后再试。", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
