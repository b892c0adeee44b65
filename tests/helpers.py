"""Helpers the tests share: starting the processes, talking to them, reading their replies.

Plain functions and classes, imported as `from helpers import …`; the fixtures built on them
are in conftest.py.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest
import yaml

from tools.launch import processes
from tools.launch.processes import MODEL, free_port, spawn, wait_for  # noqa: F401  (the tests import them from here)
from common.settings import ROOT  # noqa: F401

API_TOKEN = "test-api-token"  # Rasa's HTTP API (`--auth-token`); the channels stay public
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))  # the browser the browser tests drive
ARTIFACTS = ROOT / "test-artifacts"  # the browser tests' screenshots
# As this machine needs them: no sandbox as root, and no calls home that the closed network refuses.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# The processes as `make run` starts them (tools/launch/processes.py), with the tests' API token
# and a full debug log to scan for personal numbers.
class ActionServer(processes.ActionServer):
    """The action server with a full debug log; when it stops, its warnings and errors are printed,
    so that a failing test shows them (pytest prints a test's output only when it fails)."""

    def __init__(self, checklist_db: Path, **kwargs: Any) -> None:
        super().__init__(checklist_db, loglevel="DEBUG", **kwargs)

    def stop(self) -> None:
        super().stop()
        lines = self.log.read_text(encoding="utf-8", errors="replace").splitlines()
        trouble = [
            i
            for i, line in enumerate(lines)
            if (" WARNING " in line or " ERROR " in line) and "Task was destroyed" not in line  # at shutdown
        ]
        for i in trouble[:20]:
            print("action server:", "\n  ".join(lines[i : i + 30 if " ERROR " in lines[i] else i + 1]))


start_rasa = partial(processes.start_rasa, token=API_TOKEN)


def load_agent(action_url: str, tracker_db: Optional[Path] = None, ours: bool = False):
    """The trained model with a live action server: a whole bot, minus a channel. With `ours`, the
    conversations go to the tracker store endpoints.yml names (masking, bounded, erasable)."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}; run `make test`, which trains first")
    from rasa.core.agent import Agent
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.utils.endpoints import EndpointConfig

    from bot.rasa_runtime import MaskingSQLTrackerStore

    kind = MaskingSQLTrackerStore if ours else SQLTrackerStore
    store = kind(dialect="sqlite", db=str(tracker_db)) if tracker_db else None
    return Agent.load(str(MODEL), action_endpoint=EndpointConfig(action_url), tracker_store=store)


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


def new_sender(name: str) -> str:
    """A sender id no other test uses."""
    return f"test-{name}-{time.monotonic_ns()}"


def rest(url: str, sender: str, text: str, timeout: float = 60, channel: Optional[str] = None) -> List[Dict]:
    """One message to Rasa's REST channel at `url` (as `channel`, as our channels name themselves); its replies."""
    body = json.dumps({"sender": sender, "message": text, **({"input_channel": channel} if channel else {})}).encode()
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Dict[str, str]  # names in lower case
    body: Any  # the JSON, else the text


def post_raw(
    url: str, body: bytes, headers: Optional[Dict[str, str]] = None, source: Optional[str] = None, timeout: float = 60
) -> Answer:
    """POST `body` as it is, from the local address `source` if given; any status is an answer, not an error."""
    target = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(
        target.hostname, target.port, timeout=timeout, source_address=(source, 0) if source else None
    )
    try:
        conn.request(
            "POST",
            target.path + (f"?{target.query}" if target.query else ""),
            body,
            {"Content-Type": "application/json", **(headers or {})},
        )
        response = conn.getresponse()
        raw = response.read().decode("utf-8", "replace")
        try:
            parsed: Any = json.loads(raw)
        except ValueError:
            parsed = raw
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, parsed)
    finally:
        conn.close()


class Kiosk:
    """`python -m relays.kiosk` as make run starts it."""

    def __init__(self, rasa_url: str, idle: int = 120, countdown: int = 15, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = spawn(
            processes.kiosk_command(
                self.port, rasa_url, "--idle-seconds", str(idle), "--countdown-seconds", str(countdown)
            ),
            env,
            stderr=subprocess.PIPE,
        )
        wait_for(f"{self.url}/healthz", timeout=30)

    def stop(self) -> str:
        """Stops it; its stderr."""
        self.proc.terminate()
        _, err = self.proc.communicate(timeout=15)
        return err


def stored_turns(conn, sender: str, placeholder: str = "?") -> List[Tuple[str, Optional[str]]]:
    """The user and bot events of `sender` in a tracker store's database, as stored: (type, text)."""
    cur = conn.cursor()
    cur.execute(f"select type_name, data from events where sender_id = {placeholder} order by id", (sender,))
    return [(t, json.loads(d).get("text")) for t, d in cur.fetchall() if t in ("user", "bot")]


def turns_in_order(turns: List[Tuple[str, Optional[str]]]) -> bool:
    """Each message is answered before the next one is taken: the conversation's lock kept the turns apart."""
    users = [i for i, (t, _) in enumerate(turns) if t == "user"]
    return all(any(t == "bot" for t, _ in turns[i + 1 : j]) for i, j in zip(users, users[1:] + [len(turns)]))


def texts(replies: List[Dict]) -> str:
    return "\n".join(m.get("text", "") for m in replies)


def buttons_of(messages: List[Dict]) -> List[Dict]:
    return [b for m in messages for b in (m.get("buttons") or [])]


def domain_responses() -> Dict[str, List[Dict[str, Any]]]:
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


def as_rasa_words_them(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """An action's messages as Rasa sends them on: a named response worded from domain.yml,
    its {names} filled in from the values the action passed (a missing response fails)."""
    responses = domain_responses()
    worded = []
    for message in messages:
        if message.get("response"):
            text = responses[message["response"]][0]["text"]
            message = {**message, "text": re.sub(r"\{(\w+)\}", lambda m: str(message[m.group(1)]), text)}
        worded.append(message)
    return worded
