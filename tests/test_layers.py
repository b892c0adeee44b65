"""Which of our packages may import which: read from the source (ast), never by importing it.

The layers, lowest first; each may import only what is below it:

    common          the base layer: settings and paths, masking, the database engine, the spool,
                    the admin token. Imports nothing of ours.
    knowledge_base  the catalogue and its tools. Imports `common`; no Rasa.
    domain_logic    feedback, inbox, checklist, wording: what works without Rasa. Imports
                    `common` and `knowledge_base`; no Rasa, no `actions`, no `bot`.
    actions         the action server (a deployable of its own): rasa_sdk over the layers below.
    bot             the NLU components, the Rasa runtime, the channels and the command-line
                    tools. Never imports `actions`.
    bot/channels    carry text to Rasa and dress its replies: they know nothing of the
                    knowledge base (nor of `domain_logic`, which reads it).
    bot/console     the staff console: over the stores and the staff tools (knowledge_base,
                    domain_logic, bot/kb, bot/feedback); reaches Rasa over HTTP only.

Every import counts, also one inside a function, a relative one, or `__import__("x")`.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Sequence, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("common", "knowledge_base", "domain_logic", "actions", "bot", "bench")
RASA = ("rasa", "rasa_sdk")

# (folder, what no module in it may import, why)
RULES: Sequence[Tuple[str, Tuple[str, ...], str]] = (
    ("common", tuple(p for p in OURS if p != "common"), "the base layer imports nothing of ours"),
    ("knowledge_base", RASA + ("domain_logic", "actions", "bot", "bench"), "the knowledge base knows nothing of Rasa"),
    ("domain_logic", RASA + ("actions", "bot", "bench"), "domain logic works without Rasa and is shared"),
    ("actions", ("bot", "bench"), "the action server is a deployable of its own"),
    ("bot", ("actions",), "bot/ never imports the action server"),
    ("bot/channels", ("knowledge_base", "domain_logic"), "channels know nothing of the knowledge base"),
    ("bot/console", RASA + ("actions",), "the staff console talks to the bot over HTTP, never loads Rasa"),
)


def imported_modules(source: str, module: str, is_package: bool) -> Iterator[Tuple[int, str]]:
    """(line, absolute module name) for every import in `source`, wherever it stands."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                parts = module.split(".") if is_package else module.split(".")[:-1]
                base = ".".join(parts[: len(parts) - node.level + 1])
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            yield node.lineno, name
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (isinstance(node.func, ast.Name) and node.func.id == "__import__")
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
        ):
            yield node.lineno, node.args[0].value


def forbidden(name: str, banned: Sequence[str]) -> bool:
    return any(name == b or name.startswith(b + ".") for b in banned)


def violations(folder: str, banned: Sequence[str], root: Path = ROOT) -> List[str]:
    found = []
    for path in sorted((root / folder).rglob("*.py")):
        relative = path.relative_to(root)
        module = ".".join(relative.with_suffix("").parts)
        is_package = path.name == "__init__.py"
        if is_package:
            module = module.rsplit(".", 1)[0]
        for line, name in imported_modules(path.read_text(encoding="utf-8"), module, is_package):
            if forbidden(name, banned):
                found.append(f"{relative}:{line} imports {name}")
    return found


def test_every_package_is_under_a_rule():
    top = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert top == set(OURS), "a new top-level package needs its place in the layers (RULES)"


@pytest.mark.parametrize("folder,banned,why", RULES, ids=[r[0] for r in RULES])
def test_imports_go_the_allowed_way(folder, banned, why):
    assert (ROOT / folder).is_dir()
    wrong = violations(folder, banned)
    assert not wrong, f"{why}:\n" + "\n".join(wrong)


def test_the_check_sees_every_kind_of_import(tmp_path):
    """A wrong import is found at the top, inside a function, relative, and by __import__."""
    package = tmp_path / "bot" / "channels"
    package.mkdir(parents=True)
    (tmp_path / "bot" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "sneaky.py").write_text(
        "import json\n"
        "from knowledge_base import load_catalogue\n"
        "def later():\n"
        "    from actions import replies\n"
        "    from .. import actions_like\n"
        "    return __import__('domain_logic.replies')\n"
    )
    (package / "relative.py").write_text("from . import sneaky\nfrom ..kb import cli\n")
    wrong: Dict[str, List[str]] = {
        folder: violations(folder, banned, tmp_path) for folder, banned, _ in RULES if (tmp_path / folder).is_dir()
    }
    assert wrong["bot/channels"] == [
        "bot/channels/sneaky.py:2 imports knowledge_base",
        "bot/channels/sneaky.py:6 imports domain_logic.replies",
    ]
    assert wrong["bot"] == ["bot/channels/sneaky.py:4 imports actions"]  # `from .. import actions_like` is bot
    names = [n for _, n in imported_modules((package / "relative.py").read_text(), "bot.channels.relative", False)]
    assert names == ["bot.channels", "bot.kb"]
