"""Shared fixtures: the real knowledge base, a trained model and a live action server."""
from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "zhengwu.tar.gz"
sys.path.insert(0, str(ROOT))

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
# Stores used in this process write to a throw-away folder, never to var/.
_TEST_VAR = Path(tempfile.mkdtemp(prefix="zhengwu-tests-"))
os.environ["DATABASE_URL"] = f"sqlite:///{_TEST_VAR / 'feedback.db'}"
os.environ["CHECKLIST_DB_URL"] = f"sqlite:///{_TEST_VAR / 'checklists.db'}"
os.environ["SPOOL_DB_URL"] = f"sqlite:///{_TEST_VAR / 'spool.db'}"
os.environ["SENDER_HASH_SALT"] = "test-salt"
API_TOKEN = "test-api-token"  # Rasa's HTTP API (`--auth-token`); the channels stay public


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up within {timeout}s")


@pytest.fixture(scope="session")
def catalogue():
    from knowledge_base import KNOWLEDGE_BASE_DIR, load_catalogue

    return load_catalogue(KNOWLEDGE_BASE_DIR)


class ActionServer:
    """The real action server in its own process, as `make run` starts it."""

    def __init__(self, checklist_db: Path, feedback_url: Optional[str] = None, port: int = 0,
                 loglevel: str = "DEBUG", **extra_env: str) -> None:
        self.port = port or free_port()
        feedback_url = feedback_url or f"sqlite:///{checklist_db.parent / 'feedback.db'}"
        env = {**os.environ, "CHECKLIST_DB_URL": f"sqlite:///{checklist_db}", "DATABASE_URL": feedback_url,
               "SENDER_HASH_SALT": "test-salt", "SPOOL_DB_URL": f"sqlite:///{checklist_db.parent / 'spool.db'}",
               "SPOOL_DRAIN_SECONDS": "1", **extra_env}
        self.log = checklist_db.parent / f"actions-{self.port}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "actions.server", "--port", str(self.port), "--loglevel", loglevel],
            cwd=ROOT, env=env, stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        wait_for(f"http://127.0.0.1:{self.port}/health")
        self.url = f"http://127.0.0.1:{self.port}/webhook"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


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


def start_rasa(action_url: str, folder: Path, extra_endpoints: str = "", debug: bool = True, **extra_env: str):
    """`rasa run --enable-api` as `make run` starts it, with a SQLite tracker store in `folder`."""
    port = free_port()
    endpoints = folder / "endpoints.yml"
    endpoints.write_text(
        f'action_endpoint:\n  url: "{action_url}"\n'
        f'tracker_store:\n  type: bot.rasa_runtime.MaskingSQLTrackerStore\n  dialect: sqlite\n'
        f'  db: "{folder / "tracker.db"}"\n' + extra_endpoints,
        encoding="utf-8")
    rasa = Path(sys.executable).parent / "rasa"
    proc = subprocess.Popen(
        [str(rasa), "run", "--model", str(MODEL), "--enable-api", "--auth-token", API_TOKEN, "--port", str(port),
         "--endpoints", str(endpoints), "--credentials", str(ROOT / "credentials.yml"),
         "--log-file", str(folder / "rasa.log"), *(["--debug"] if debug else [])],
        cwd=ROOT, env={**os.environ, **extra_env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(f"http://127.0.0.1:{port}/status?token={API_TOKEN}", timeout=240)
    except RuntimeError:
        proc.kill()
        raise
    return proc, f"http://127.0.0.1:{port}"


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


def buttons_of(messages: List[Dict]) -> List[Dict]:
    return [b for m in messages for b in (m.get("buttons") or [])]
