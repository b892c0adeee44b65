"""`python -m tools.feedback`: follow up the 差评 cases and print the 好差评 report.

    python -m tools.feedback cases [--overdue]
    python -m tools.feedback show CASE
    python -m tools.feedback move CASE 整改中 --note "已联系群众" [--by 张三]
    python -m tools.feedback close CASE --note "回访满意"          (→ 已回访)
    python -m tools.feedback report --from 2026-11-01 --to 2026-11-30 [--item passport] [--channel telegram]
                                  [--csv report.csv] [--charts charts/]

The operator's name comes from --by or $KB_OPERATOR (else the login name).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import List, Optional

from tools.feedback.cases import case_table
from domain_logic.feedback.report_files import draw_charts, load_report, period, render_table, write_csv
from common import settings
from domain_logic.inbox.store import InboxStore
from common.database import StoreUnavailable
from domain_logic.feedback.store import FeedbackStore, InvalidTransition


def _parser() -> argparse.ArgumentParser:
    today = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
    parser = argparse.ArgumentParser(prog="python -m tools.feedback", description="好差评：差评案件处理与统计报告")
    parser.add_argument("--db", help="数据库 URL（默认 $DATABASE_URL 或 var/zhengwu.db）")
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
    report = sub.add_parser("report", help="好差评报告（表格、CSV、图表）")
    report.add_argument("--from", dest="start", default=(today - timedelta(days=30)).strftime("%Y-%m-%d"))
    report.add_argument("--to", dest="end", default=today.strftime("%Y-%m-%d"))
    report.add_argument("--item", help="只看某个事项（编码，如 passport）")
    report.add_argument("--channel", help="只看某个渠道：telegram、kiosk、rest、shell")
    report.add_argument("--csv", type=Path, help="导出 CSV 文件")
    report.add_argument("--charts", type=Path, help="图表输出目录（PNG）")
    return parser


def _cases(args: argparse.Namespace, store: FeedbackStore) -> int:
    now = datetime.now()
    if args.command == "cases":
        found = store.cases(overdue_at=now if args.overdue else None)
        print(case_table(found, now) if found else "没有案件。")
    elif args.command == "show":
        case = store.case(args.case)
        if case is None:
            print(f"没有编号为 {args.case} 的案件", file=sys.stderr)
            return 1
        print(case_table([case], now))
        print(f"意见：{case.comment or '-'}　回访电话：{case.phone or '未留'}")
        for h in store.history(args.case):
            step = f"{h['from_status'] or '—'} → {h['to_status']}"
            print(f"  {h['at']:%Y-%m-%d %H:%M}  {step}  {h['actor']}  {h['note'] or ''}")
    else:
        target = "已回访" if args.command == "close" else args.to
        case = store.move(args.case, target, args.by, args.note)
        print(f"案件 {case.id} 已转为“{case.status}”。")
    return 0


def _report(args: argparse.Namespace, store: FeedbackStore) -> int:
    try:
        start, end = period(args.start, args.end)
    except ValueError:
        print("日期格式应为 YYYY-MM-DD", file=sys.stderr)
        return 2
    report = load_report(store, InboxStore(args.db), start, end, datetime.now(), args.item, args.channel)
    print(render_table(report))
    if args.csv:
        write_csv(report, args.csv)
        print(f"\nCSV 已导出：{args.csv}")
    if args.charts:
        try:
            for path in draw_charts(report, args.charts):
                print(f"图表：{path}")
        except FileNotFoundError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = _parser().parse_args(argv)
    store = FeedbackStore(args.db)
    try:
        return _report(args, store) if args.command == "report" else _cases(args, store)
    except InvalidTransition as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except StoreUnavailable:
        print("无法连接评价数据库，请稍后再试。", file=sys.stderr)
        return 2
