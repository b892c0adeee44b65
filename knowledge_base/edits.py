"""The checked edits of an item that `kb`, `kb inbox` and the console make, and how they report a problem.

Apart from cli.py so that the inbox (inbox.py) and the console (console) add an alias or an FAQ
entry the same way the `kb add-alias` / `kb add-faq` commands do, without importing the command line.
The edit functions return the message for the staff member and raise on a refusal; the `args`
wrappers below print for the command line.
"""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence

from common import settings
from knowledge_base.source import entry_path, read_entry, save_entry
from knowledge_base.validation import FileError


class KbError(Exception):
    """A problem to tell the staff member in one line, with exit code 1."""


class EditRefused(KbError):
    """The new version did not pass the checks; nothing was written."""

    def __init__(self, errors: List[FileError]) -> None:
        super().__init__("没有写入，因为：" + "；".join(str(e) for e in errors))
        self.errors = errors


def operator(args: argparse.Namespace) -> str:
    """Who made a change: --by, else $KB_OPERATOR, else the login name."""
    return args.by or settings.kb_operator() or getpass.getuser()


def print_errors(errors: Sequence[FileError]) -> None:
    for e in errors:
        print(f"  ✗ {e}")


def edit_entry(root: Path, entry_id: str, change: Callable[[Dict[str, Any]], str], action: str, by: str) -> str:
    """Change one entry's data, check it and save it with the audit trail; the change's message."""
    path = entry_path(root, entry_id)
    if path is None:
        raise KbError(f"没有编码为 {entry_id} 的事项。")
    data = read_entry(path)
    message = change(data)
    errors = save_entry(root, entry_id, data, by, action)
    if errors:
        raise EditRefused(errors)
    return message


def alias_to(root: Path, entry_id: str, alias: str, by: str) -> str:
    alias = alias.strip()

    def change(data):
        if alias in data["aliases"] or alias == data["name"]:
            return f"{entry_id} 已有别名“{alias}”，未作改动。"
        data["aliases"].append(alias)
        return f"已给 {entry_id} 添加别名“{alias}”。下一条消息起即可识别。"

    return edit_entry(root, entry_id, change, "add-alias", by)


def faq_to(root: Path, entry_id: str, question: str, answer: str, by: str) -> str:
    def change(data):
        data.setdefault("faq", []).append({"q": question.strip(), "a": answer.strip()})
        return f"已给 {entry_id} 添加常见问题“{question.strip()}”。"

    return edit_entry(root, entry_id, change, "add-faq", by)


def printed(edit: Callable[[], str]) -> int:
    """Run an edit for the command line: its message, or why nothing was written (exit code 1)."""
    try:
        print(edit())
    except EditRefused as refused:
        print("没有写入，因为：")
        print_errors(refused.errors)
        return 1
    return 0


def add_alias(args: argparse.Namespace, entry_id: str, alias: str) -> int:
    return printed(lambda: alias_to(args.root, entry_id, alias, operator(args)))


def add_faq(args: argparse.Namespace, entry_id: str, question: str, answer: str) -> int:
    return printed(lambda: faq_to(args.root, entry_id, question, answer, operator(args)))
