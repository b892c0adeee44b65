"""The checked edits of an item that `kb` and `kb inbox` both make, and how they report a problem.

Apart from cli.py so that the inbox (inbox.py) can add an alias or an FAQ entry the same way
the `kb add-alias` / `kb add-faq` commands do, without importing the command line.
"""
from __future__ import annotations

import argparse
import getpass
from typing import Any, Callable, Dict, Sequence

from common import settings
from knowledge_base.source import entry_path, read_entry, save_entry
from knowledge_base.validation import FileError


class KbError(Exception):
    """A problem to tell the staff member in one line, with exit code 1."""


def operator(args: argparse.Namespace) -> str:
    """Who made a change: --by, else $KB_OPERATOR, else the login name."""
    return args.by or settings.kb_operator() or getpass.getuser()


def print_errors(errors: Sequence[FileError]) -> None:
    for e in errors:
        print(f"  ✗ {e}")


def _edit(args: argparse.Namespace, entry_id: str, change: Callable[[Dict[str, Any]], str], action: str) -> int:
    """Change one entry's data, check it and save it with the audit trail; 1 if it did not pass."""
    path = entry_path(args.root, entry_id)
    if path is None:
        raise KbError(f"没有编码为 {entry_id} 的事项。")
    data = read_entry(path)
    message = change(data)
    errors = save_entry(args.root, entry_id, data, operator(args), action)
    if errors:
        print("没有写入，因为：")
        print_errors(errors)
        return 1
    print(message)
    return 0


def add_alias(args: argparse.Namespace, entry_id: str, alias: str) -> int:
    alias = alias.strip()

    def change(data):
        if alias in data["aliases"] or alias == data["name"]:
            return f"{entry_id} 已有别名“{alias}”，未作改动。"
        data["aliases"].append(alias)
        return f"已给 {entry_id} 添加别名“{alias}”。下一条消息起即可识别。"
    return _edit(args, entry_id, change, "add-alias")


def add_faq(args: argparse.Namespace, entry_id: str, question: str, answer: str) -> int:
    def change(data):
        data.setdefault("faq", []).append({"q": question.strip(), "a": answer.strip()})
        return f"已给 {entry_id} 添加常见问题“{question.strip()}”。"
    return _edit(args, entry_id, change, "add-faq")
