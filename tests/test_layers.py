"""Which of our packages may import which: read from the source (ast), never by importing it.

The layers, lowest first; each may import only what is below it:

    common          the base layer: settings and paths, masking, the database layer, the spool, the
                    admin token, the REST client, text normalisation. Imports nothing of ours.
    knowledge_base  the catalogue, its schema and its checked edits. Imports `common`; no Rasa.
    domain_logic    what works without Rasa, one package per capability (feedback, inbox, handover,
                    checklist, staff) plus the wording and the decision. `common` and `knowledge_base`.
    actions         the action server (a deployable of its own): rasa_sdk over the layers below.
    bot             what Rasa loads: NLU components, stores, input channels. Never imports `actions`.
    relays          carry text to Rasa and dress its replies: they know nothing of the knowledge
                    base, nor of domain_logic, which reads it; only the human-help and sheet-link stores, which do not.
    console         the staff console: over the stores and the knowledge base; reaches Rasa over HTTP.
    tools           the command-line tools and the launcher, over all of the above but `actions`
                    (started as a process, never imported).
    bench           the benchmarks, over `tools`.

Inside domain_logic each capability owns its store and rules: the human-help package reads no
knowledge base (the relays use it), and no capability reaches into another's store.

Every import counts, also one inside a function, a relative one, or `__import__("x")`.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Dict, Iterator, List, Sequence, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = ("common", "knowledge_base", "domain_logic", "actions", "bot", "relays", "console", "tools", "bench")
RASA = ("rasa", "rasa_sdk")
CAPABILITIES = (
    "domain_logic.feedback",
    "domain_logic.inbox",
    "domain_logic.handover",
    "domain_logic.checklist",
    "domain_logic.sheet_links",
)
ABOVE_DOMAIN = ("actions", "bot", "relays", "console", "tools", "bench")

# (folder, what no module in it may import, what it may import even so, why)
RULES: Sequence[Tuple[str, Tuple[str, ...], Tuple[str, ...], str]] = (
    ("common", tuple(p for p in OURS if p != "common"), (), "the base layer imports nothing of ours"),
    ("knowledge_base", RASA + ("domain_logic",) + ABOVE_DOMAIN, (), "the knowledge base knows nothing of Rasa"),
    ("domain_logic", RASA + ABOVE_DOMAIN, (), "domain logic works without Rasa and is shared"),
    (
        "domain_logic/handover",
        ("knowledge_base",) + CAPABILITIES,
        ("domain_logic.handover",),
        "human help reads no knowledge base, so that the relays may use its store",
    ),
    ("domain_logic/inbox", CAPABILITIES, ("domain_logic.inbox",), "the inbox owns its store and its rules"),
    (
        "domain_logic/sheet_links",
        ("knowledge_base",) + CAPABILITIES,
        (),
        "the sheets behind their links read no knowledge base, so that the kiosk may serve them",
    ),
    (
        "domain_logic/feedback",
        CAPABILITIES,
        ("domain_logic.feedback", "domain_logic.inbox.store"),
        "好差评 owns its store and its rules; its report counts the inbox",
    ),
    ("domain_logic/checklist", CAPABILITIES, ("domain_logic.checklist",), "the checklist owns its store and rules"),
    ("domain_logic/staff", CAPABILITIES, (), "staff accounts are a capability of their own"),
    ("actions", ("bot", "relays", "console", "tools", "bench"), (), "the action server is a deployable of its own"),
    ("bot", ("actions", "relays", "console", "tools", "bench"), (), "bot/ is what Rasa loads, nothing else"),
    (
        "relays",
        RASA + ("knowledge_base", "domain_logic", "actions", "bot", "console", "tools", "bench"),
        ("domain_logic.handover", "domain_logic.sheet_links"),
        "relays know nothing of the knowledge base",
    ),
    ("console", RASA + ("actions", "bot", "relays", "tools", "bench"), (), "the console reaches Rasa over HTTP only"),
    ("tools", ("actions", "bench"), (), "the tools start the action server, never import it"),
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


def within(name: str, packages: Sequence[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def violations(folder: str, banned: Sequence[str], allowed: Sequence[str] = (), root: Path = ROOT) -> List[str]:
    found = []
    for path in sorted((root / folder).rglob("*.py")):
        relative = path.relative_to(root)
        module = ".".join(relative.with_suffix("").parts)
        is_package = path.name == "__init__.py"
        if is_package:
            module = module.rsplit(".", 1)[0]
        for line, name in imported_modules(path.read_text(encoding="utf-8"), module, is_package):
            if within(name, banned) and not within(name, allowed):
                found.append(f"{relative}:{line} imports {name}")
    return found


def test_every_package_is_under_a_rule():
    top = {p.parent.name for p in ROOT.glob("*/__init__.py")}
    assert top == set(OURS), "a new top-level package needs its place in the layers (RULES)"


@pytest.mark.parametrize("folder,banned,allowed,why", RULES, ids=[r[0] for r in RULES])
def test_imports_go_the_allowed_way(folder, banned, allowed, why):
    assert (ROOT / folder).is_dir()
    wrong = violations(folder, banned, allowed)
    assert not wrong, f"{why}:\n" + "\n".join(wrong)


def test_the_check_sees_every_kind_of_import(tmp_path):
    """A wrong import is found at the top, inside a function, relative, and by __import__."""
    package = tmp_path / "relays"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sneaky.py").write_text(
        "import json\n"
        "from knowledge_base import load_catalogue\n"
        "def later():\n"
        "    from actions import replies\n"
        "    from domain_logic.handover.store import HandoverStore\n"
        "    return __import__('domain_logic.replies')\n"
    )
    (package / "relative.py").write_text("from . import sneaky\nfrom .kiosk import page\n")
    wrong: Dict[str, List[str]] = {
        folder: violations(folder, banned, allowed, tmp_path)
        for folder, banned, allowed, _ in RULES
        if (tmp_path / folder).is_dir()
    }
    assert wrong["relays"] == [
        "relays/sneaky.py:2 imports knowledge_base",
        "relays/sneaky.py:4 imports actions",
        "relays/sneaky.py:6 imports domain_logic.replies",
    ]  # the human-help store (line 5) is allowed
    names = [n for _, n in imported_modules((package / "relative.py").read_text(), "relays.relative", False)]
    assert names == ["relays", "relays.kiosk"]


def test_the_tests_mirror_the_packages():
    """A test lives beside its package's other tests (tests/<package>/), or in tests/conversations/
    when it talks to the whole bot; only this file, about all packages at once, is at the top."""
    tests = ROOT / "tests"
    loose = sorted(p.name for p in tests.glob("test_*.py") if p.name != "test_layers.py")
    assert not loose, f"put these under tests/<package>/: {loose}"
    folders = {p.parent.relative_to(tests).parts[0] for p in tests.rglob("test_*.py") if p.parent != tests}
    assert folders <= set(OURS) | {"conversations"}, folders - set(OURS)
