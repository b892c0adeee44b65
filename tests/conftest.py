"""Shared fixtures: the real knowledge base, a trained model and a live action server."""
from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
import urllib.request
from functools import partial
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bot import local_servers  # noqa: E402
from bot.local_servers import MODEL, free_port, wait_for  # noqa: E402,F401  (the tests import them from here)

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
# Stores used in this process write to a throw-away folder, never to var/.
_TEST_VAR = Path(tempfile.mkdtemp(prefix="zhengwu-tests-"))
os.environ["DATABASE_URL"] = f"sqlite:///{_TEST_VAR / 'feedback.db'}"
os.environ["CHECKLIST_DB_URL"] = f"sqlite:///{_TEST_VAR / 'checklists.db'}"
os.environ["SPOOL_DB_URL"] = f"sqlite:///{_TEST_VAR / 'spool.db'}"
os.environ["SENDER_HASH_SALT"] = "test-salt"
os.environ["SPOOL_DRAIN_SECONDS"] = "1"  # action servers retry spooled writes every second
API_TOKEN = "test-api-token"  # Rasa's HTTP API (`--auth-token`); the channels stay public


@pytest.fixture(scope="session")
def catalogue():
    from knowledge_base import KNOWLEDGE_BASE_DIR, load_catalogue

    return load_catalogue(KNOWLEDGE_BASE_DIR)


# The processes as `make run` starts them (bot/local_servers.py), with the tests' API token
# and a full debug log to scan for personal numbers.
ActionServer = partial(local_servers.ActionServer, loglevel="DEBUG")
start_rasa = partial(local_servers.start_rasa, token=API_TOKEN)


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


@pytest.fixture(scope="session")
def event_loop_session():
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def load_agent(action_url: str, tracker_db: Optional[Path] = None):
    """The trained model with a live action server: a whole bot, minus a channel."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}; run `make test`, which trains first")
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.utils.endpoints import EndpointConfig

    store = SQLTrackerStore(dialect="sqlite", db=str(tracker_db)) if tracker_db else None
    return Agent.load(str(MODEL), action_endpoint=EndpointConfig(action_url), tracker_store=store)


@pytest.fixture(scope="session")
def agent(action_server, event_loop_session):
    return load_agent(action_server)


class Conversation:
    """One citizen talking to the bot; `say` returns the bot's messages."""

    def __init__(self, agent, loop, sender: str) -> None:
        self.agent, self.loop, self.sender = agent, loop, sender

    def say(self, text: str) -> List[Dict]:
        return self.loop.run_until_complete(self.agent.handle_text(text, sender_id=self.sender))

    def text(self, text: str) -> str:
        """Everything the bot answered, as one string."""
        return "\n".join(m.get("text", "") for m in self.say(text))

    def parse(self, text: str) -> Dict:
        return self.loop.run_until_complete(self.agent.parse_message(text))

    def slot(self, name: str):
        tracker = self.loop.run_until_complete(self.agent.tracker_store.retrieve(self.sender))
        return tracker.get_slot(name) if tracker else None


@pytest.fixture
def conversation(agent, event_loop_session, request) -> Conversation:
    return Conversation(agent, event_loop_session, f"test-{request.node.name}-{time.monotonic_ns()}")


def rest(url: str, sender: str, text: str, timeout: float = 60) -> List[Dict]:
    """One message to Rasa's REST channel at `url`; its replies."""
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def texts(replies: List[Dict]) -> str:
    return "\n".join(m.get("text", "") for m in replies)


def buttons_of(messages: List[Dict]) -> List[Dict]:
    return [b for m in messages for b in (m.get("buttons") or [])]
