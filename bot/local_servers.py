"""The single-machine processes, started as `make run` starts them, on free ports.

The tests and the load benchmark use these, so that both measure the bot exactly as
it runs: the action server (`python -m actions.server`) and `rasa run --enable-api`
with the trained model, a SQLite tracker store and the channels of credentials.yml.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import List, Optional, Tuple

import yaml

from common import settings
from common.settings import ROOT

MODEL = ROOT / "models" / "zhengwu.tar.gz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, timeout: float = 60.0) -> None:
    """Until `url` answers; RuntimeError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up within {timeout}s")


class ActionServer:
    """The action server in its own process; its checklists, ratings and spool beside `checklist_db`."""

    def __init__(
        self,
        checklist_db: Path,
        feedback_url: Optional[str] = None,
        port: int = 0,
        loglevel: str = "INFO",
        **extra_env: str,
    ) -> None:
        self.port = port or free_port()
        feedback_url = feedback_url or f"sqlite:///{checklist_db.parent / 'feedback.db'}"
        env = {
            **os.environ,
            "CHECKLIST_DB_URL": f"sqlite:///{checklist_db}",
            "DATABASE_URL": feedback_url,
            "SPOOL_DB_URL": f"sqlite:///{checklist_db.parent / 'spool.db'}",
            **extra_env,
        }
        self.log = checklist_db.parent / f"actions-{self.port}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "actions.server", "--port", str(self.port), "--loglevel", loglevel],
            cwd=ROOT,
            env=env,
            stdout=open(self.log, "w"),
            stderr=subprocess.STDOUT,
        )
        wait_for(f"http://127.0.0.1:{self.port}/health")
        self.url = f"http://127.0.0.1:{self.port}/webhook"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def rasa_command(port: int, endpoints: Path, token: str, interface: Optional[str] = None) -> List[str]:
    """`rasa run` with the trained model, the HTTP API behind `token` and our channels (credentials.yml).

    It listens on `interface`, else RASA_INTERFACE (127.0.0.1 unless the operator opens it):
    the kiosk and the Telegram relay, on this machine, are the public face.
    """
    rasa = Path(sys.executable).parent / "rasa"
    return [
        str(rasa),
        "run",
        "--model",
        str(MODEL),
        "--enable-api",
        *(["--auth-token", token] if token else []),
        "--interface",
        interface or settings.rasa_interface(),
        "--port",
        str(port),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(ROOT / "credentials.yml"),
    ]


def start_rasa(
    action_url: str, folder: Path, token: str, extra_endpoints: str = "", debug: bool = True, **extra_env: str
) -> Tuple[subprocess.Popen, str]:
    """`rasa run --enable-api` behind `token`, with endpoints.yml as `make run` uses it, but the action server
    at `action_url`, the SQLite tracker store and the log in `folder`; `extra_endpoints` (YAML) replaces parts."""
    port = free_port()
    config = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    config["action_endpoint"]["url"] = action_url
    config["tracker_store"]["db"] = str(folder / "tracker.db")
    config.update(yaml.safe_load(extra_endpoints) or {})
    endpoints = folder / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    proc = subprocess.Popen(
        [
            *rasa_command(port, endpoints, token),
            "--log-file",
            str(folder / "rasa.log"),
            *(["--debug"] if debug else []),
        ],
        cwd=ROOT,
        env={**os.environ, **extra_env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/status?token={token}", timeout=240)
    except RuntimeError:
        proc.kill()
        raise
    return proc, f"http://127.0.0.1:{port}"
