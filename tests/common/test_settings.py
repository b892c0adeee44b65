"""common/settings.py is the one place the environment is read, and `.env.example` lists it all."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

from common import settings

ROOT = Path(__file__).resolve().parents[2]
CODE = ("common", "knowledge_base", "domain_logic", "actions", "bot", "relays", "console", "tools", "bench")


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
    assert settings.database_url() == f"sqlite:///{ROOT / 'var' / 'zhengwu.db'}"
    monkeypatch.setenv("KB_ADMIN_TOKEN", "  secret \n")
    assert settings.kb_admin_token() == "secret"


def test_every_store_defaults_to_one_file_and_each_can_be_put_elsewhere(monkeypatch):
    stores = {
        "DATABASE_URL": settings.database_url,
        "CHECKLIST_DB_URL": settings.checklist_db_url,
        "SPOOL_DB_URL": settings.spool_db_url,
        "STAFF_DB_URL": settings.staff_db_url,
        "HANDOVER_DB_URL": settings.handover_db_url,
    }
    for name in stores:
        monkeypatch.delenv(name, raising=False)
    assert {url() for url in stores.values()} == {f"sqlite:///{ROOT / 'var' / 'zhengwu.db'}"}
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    assert ROOT / endpoints["tracker_store"]["db"] == ROOT / "var" / "zhengwu.db"  # Rasa's conversations too
    monkeypatch.setenv("HANDOVER_DB_URL", "postgresql://127.0.0.1/help")
    assert settings.handover_db_url() == "postgresql://127.0.0.1/help"
    assert settings.staff_db_url() == f"sqlite:///{ROOT / 'var' / 'zhengwu.db'}"


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
