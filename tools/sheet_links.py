"""`python -m tools.sheet_links revoke LINK…`: staff take back a checklist's link (扫码带走).

A link works for SHEET_LINK_DAYS (7) after the citizen's checklist; a revoked one shows the citizen a
polite notice instead of the sheet. LINK is the whole address as the citizen shows it, or its token.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import List, Optional

from common import settings
from domain_logic.sheet_links.store import SheetLinks, token_of


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.sheet_links", description="撤销一次性告知单的手机链接")
    sub = parser.add_subparsers(dest="command", required=True)
    revoke = sub.add_parser("revoke", help="撤销链接（整段网址或其中的令牌）")
    revoke.add_argument("links", nargs="+")
    revoke.add_argument("--by", default=settings.kb_operator() or getpass.getuser(), help="谁撤销（记录在案）")
    args = parser.parse_args(argv)
    links, failed = SheetLinks(), 0
    for link in args.links:
        if links.revoke(token_of(link), args.by):
            print(f"已撤销：{link}")
        else:
            print(f"没有找到可撤销的链接（可能已撤销或不存在）：{link}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
