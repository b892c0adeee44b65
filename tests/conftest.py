"""Shared fixtures: the real knowledge base, a trained model and a live action server.

The helpers they use (and the tests import) are in helpers.py.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from helpers import CHROMIUM, CHROMIUM_FLAGS, ActionServer, Conversation, load_agent, new_sender, start_rasa

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
# Stores used in this process write to a throw-away folder, never to var/.
_TEST_VAR = Path(tempfile.mkdtemp(prefix="zhengwu-tests-"))
os.environ["DATABASE_URL"] = f"sqlite:///{_TEST_VAR / 'feedback.db'}"
os.environ["CHECKLIST_DB_URL"] = f"sqlite:///{_TEST_VAR / 'checklists.db'}"
os.environ["SPOOL_DB_URL"] = f"sqlite:///{_TEST_VAR / 'spool.db'}"
os.environ["STAFF_DB_URL"] = f"sqlite:///{_TEST_VAR / 'staff.db'}"
os.environ["SENDER_HASH_SALT"] = "test-salt"
os.environ["SPOOL_KEY"] = "dGVzdC1zcG9vbC1rZXktMzItYnl0ZXMtbG9uZy0hISE="  # b"test-spool-key-32-bytes-long-!!!"
os.environ["SPOOL_DRAIN_SECONDS"] = "1"  # action servers retry spooled writes every second
os.environ["HANDOVER_DB_URL"] = f"sqlite:///{_TEST_VAR / 'handover.db'}"
os.environ["SHEET_LINKS_DB_URL"] = f"sqlite:///{_TEST_VAR / 'sheets.db'}"
os.environ["WECHAT_DB_URL"] = f"sqlite:///{_TEST_VAR / 'wechat.db'}"
# Human help is staffed around the clock in the tests (tests/actions/test_human_help.py sets other hours).
os.environ["HANDOVER_DAYS"] = "1-7"
os.environ["HANDOVER_HOURS"] = "00:00-24:00"


@pytest.fixture(scope="session")
def catalogue():
    from knowledge_base import KNOWLEDGE_BASE_DIR, load_catalogue

    return load_catalogue(KNOWLEDGE_BASE_DIR)


@pytest.fixture(scope="session")
def checklist_db(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("checklists") / "checklists.db"


@pytest.fixture(scope="session")
def action_server(checklist_db) -> Iterator[str]:
    server = ActionServer(checklist_db)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def rasa_server(action_server, tmp_path_factory):
    """`rasa run --enable-api` with the trained model, a SQLite tracker store and the action server."""
    tmp = tmp_path_factory.mktemp("rasa")
    proc, url = start_rasa(action_server, tmp)
    try:
        yield url, tmp / "tracker.db"  # the log is beside it: tmp / "rasa.log"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (`make browser` installs it); without it the test fails, not skips."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's chromium (`make browser`).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def event_loop_session():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


@pytest.fixture(scope="session")
def agent(action_server, event_loop_session):
    return load_agent(action_server)


@pytest.fixture
def conversation(agent, event_loop_session, request) -> Conversation:
    return Conversation(agent, event_loop_session, new_sender(request.node.name))


# `make test-fast` runs what needs no server, trained model, browser or database (markers in pyproject.toml).
# A test is marked by the fixtures it uses, or by what its module starts or connects to.
_NEEDS = {
    "server": ("rasa_server", "action_server"),
    "model": ("agent", "conversation"),
    "browser": ("browser",),
}
_MODULE_NEEDS = {
    "server": ("start_rasa(", "ActionServer(", "Kiosk(", "subprocess.", "spawn(", "tools.launch.cluster"),
    "database": ("psycopg2", "redis"),
    "browser": ("playwright",),
}


def pytest_collection_modifyitems(config, items) -> None:
    sources: dict = {}
    for item in items:
        path = Path(str(item.fspath))
        if path not in sources:
            sources[path] = path.read_text(encoding="utf-8")
        for marker, fixtures in _NEEDS.items():
            if any(f in item.fixturenames for f in fixtures):
                item.add_marker(marker)
        for marker, words in _MODULE_NEEDS.items():
            if any(w in sources[path] for w in words):
                item.add_marker(marker)
