"""common/settings.py is the one place the environment is read, and `.env.example` lists it all."""

from __future__ import annotations

import ast
from pathlib import Path

from common import settings

ROOT = Path(__file__).resolve().parents[1]
CODE = ("common", "knowledge_base", "domain_logic", "actions", "bot", "bench")


def test_env_example_lists_every_setting_with_its_default():
    lines = [
        line
        for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    listed = dict(line.split("=", 1) for line in lines)
    assert listed == {s.name: s.default or "" for s in settings.SETTINGS}


def test_settings_are_read_when_asked_and_empty_means_the_default(monkeypatch):
    monkeypatch.setenv("CHECKLIST_TTL_DAYS", "7")
    assert settings.checklist_ttl_days() == 7
    monkeypatch.setenv("CHECKLIST_TTL_DAYS", "")
    assert settings.checklist_ttl_days() == 30
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert settings.database_url() == f"sqlite:///{ROOT / 'var' / 'feedback.db'}"
    monkeypatch.setenv("KB_ADMIN_TOKEN", "  secret \n")
    assert settings.kb_admin_token() == "secret"


def _reads_environment(node: ast.AST) -> bool:
    """os.environ.get(…), os.getenv(…), os.environ[…] (read), `… in os.environ`."""

    def is_environ(n: ast.AST) -> bool:
        return (
            isinstance(n, ast.Attribute)
            and n.attr == "environ"
            and isinstance(n.value, ast.Name)
            and n.value.id == "os"
        )

    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "get" and is_environ(node.func.value):
            return True
        if node.func.attr == "getenv" and isinstance(node.func.value, ast.Name) and node.func.value.id == "os":
            return True
    if isinstance(node, ast.Subscript) and is_environ(node.value) and isinstance(node.ctx, ast.Load):
        return True
    return isinstance(node, ast.Compare) and any(is_environ(c) for c in node.comparators)


def test_only_the_settings_module_reads_the_environment():
    """A new variable goes into common/settings.py (and .env.example), where it is documented."""
    found = []
    for package in CODE:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "common" / "settings.py":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if _reads_environment(node):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, "read these through common.settings:\n" + "\n".join(found)
