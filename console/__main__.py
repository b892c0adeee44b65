"""`python -m console serve | create-admin NAME | hint`.

serve [--host H] [--port P]          the console (make run starts it beside the bot; make console alone)
create-admin NAME [--display-name 张三] [--password-stdin]
                                     the first 管理员 (asks the password twice, or reads one line from stdin)
hint [--port P]                      the URL, and how to create the first account when there is none
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from typing import List, Optional

from common import settings
from common.privacy import install_log_masking
from domain_logic.staff.accounts import AccountError, AccountStore
from domain_logic.staff.database import StaffDatabase

CREATE_HINT = "尚无账号：先创建第一个管理员  .venv/bin/python -m console create-admin 用户名 --display-name 姓名"


def _url(host: str, port: int) -> str:
    return f"http://{host}:{port}/"


def _serve(args: argparse.Namespace) -> int:
    from aiohttp import web

    from console.app import create_app

    install_log_masking()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app()
    print(f"工作人员控制台：{_url(args.host, args.port)}", flush=True)
    if not AccountStore(StaffDatabase()).any_exist():
        print(CREATE_HINT, flush=True)
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("密码（至少 10 个字符）：")
        if getpass.getpass("再输入一次：") != password:
            print("两次输入的密码不一致，未创建。", file=sys.stderr)
            return 1
    try:
        account = AccountStore(StaffDatabase()).create(args.name, args.display_name or args.name, password, ["admin"])
    except AccountError as exc:
        print(f"未创建：{exc}", file=sys.stderr)
        return 1
    print(f"已创建管理员 {account.username}。登录控制台后可在“账号管理”里添加其他账号。")
    return 0


def _hint(args: argparse.Namespace) -> int:
    print(f"工作人员控制台：在浏览器打开  {_url(args.host, args.port)}")
    if not AccountStore(StaffDatabase()).any_exist():
        print(CREATE_HINT)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console", description="工作人员控制台")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, run in (("serve", _serve), ("hint", _hint)):
        p = sub.add_parser(name)
        p.add_argument("--host", default=settings.console_host())
        p.add_argument("--port", type=int, default=settings.console_port())
        p.set_defaults(run=run)
    p = sub.add_parser("create-admin", help="创建管理员账号")
    p.add_argument("name", help="用户名（登录用，英文字母或数字）")
    p.add_argument("--display-name", help="姓名（记录在修改留痕里；默认同用户名）")
    p.add_argument("--password-stdin", action="store_true", help="从标准输入读一行作为密码")
    p.set_defaults(run=_create_admin)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
