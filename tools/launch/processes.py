"""The one place a process of the service is started: its command line, its log, its end.

`make run` (single_machine.py), `make run-cluster` (cluster.py), the tests and the load benchmark
all start the action server, Rasa, the kiosk, the console and the Telegram and WeChat relays with the command
lines below and through `spawn`, so that every one of them runs the service exactly as it runs.
`ProcessGroup` keeps the processes of one run together: started with their logs, watched, and
stopped all at once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import IO, Any, Dict, List, Mapping, Optional, Tuple, Union

import yaml

from common import settings
from common.settings import ROOT

MODEL = ROOT / "models" / "zhengwu.tar.gz"
Output = Union[None, int, IO[Any]]  # a file, subprocess.DEVNULL/PIPE, or None (the terminal)


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


# ---- the command lines --------------------------------------------------------------------------
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


def actions_command(port: int, *options: str) -> List[str]:
    return [sys.executable, "-m", "actions.server", "--port", str(port), *options]


def kiosk_command(port: int, rasa_url: str, *options: str) -> List[str]:
    return [sys.executable, "-m", "relays.kiosk", "--port", str(port), "--rasa-url", rasa_url, *options]


def console_command(port: int) -> List[str]:
    return [sys.executable, "-m", "console", "serve", "--port", str(port)]


def telegram_command() -> List[str]:
    return [sys.executable, "-m", "relays.telegram"]


def wechat_command(*options: str) -> List[str]:
    return [sys.executable, "-m", "relays.wechat", *options]


# ---- starting and stopping ----------------------------------------------------------------------
def spawn(
    argv: List[str],
    env: Optional[Mapping[str, str]] = None,
    stdout: Output = subprocess.DEVNULL,
    stderr: Output = subprocess.STDOUT,
    own_group: bool = False,
) -> subprocess.Popen:
    """Start `argv` in the project folder with this process's environment plus `env`.

    `own_group` puts it in a process group of its own (a cluster's nginx and its workers, stopped
    together; and Ctrl+C in the terminal reaches only the launcher, which stops it in order).
    """
    return subprocess.Popen(
        argv,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=stdout,
        stderr=stderr,
        text=stdout == subprocess.PIPE or stderr == subprocess.PIPE,
        start_new_session=own_group,
    )


class ProcessGroup:
    """The processes of one run, each with its log `<logs>/<name>.log`, stopped together."""

    def __init__(self, logs: Path, env: Optional[Mapping[str, str]] = None, own_groups: bool = False) -> None:
        self.logs = logs
        self.env = dict(env or {})
        self.own_groups = own_groups
        self.procs: Dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: List[str], env: Optional[Mapping[str, str]] = None, log: bool = True):
        """Start one process; `log=False` leaves its output on the terminal."""
        self.logs.mkdir(parents=True, exist_ok=True)
        output: Output = open(self.logs / f"{name}.log", "w") if log else None  # noqa: SIM115 - the child owns it
        proc = spawn(argv, {**self.env, **(env or {})}, stdout=output, own_group=self.own_groups)
        self.procs[name] = proc
        return proc

    def first_dead(self) -> Optional[Tuple[str, subprocess.Popen]]:
        """The first process that has exited, if any: a run is whole or it is stopped."""
        return next(((n, p) for n, p in self.procs.items() if p.poll() is not None), None)

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM to all, then up to `timeout` seconds each before SIGKILL."""
        for proc in self.procs.values():
            if proc.poll() is None:
                self._signal(proc, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._signal(proc, signal.SIGKILL)
                proc.wait(timeout=5)
        self.procs = {}

    def _signal(self, proc: subprocess.Popen, sig: int) -> None:
        try:
            if self.own_groups:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)
        except ProcessLookupError:
            pass


# ---- for the tests, the evaluation and the benchmark ---------------------------------------------
class ActionServer:
    """The action server in its own process; its checklists, ratings, spool and sheet links beside `checklist_db`."""

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
            "CHECKLIST_DB_URL": f"sqlite:///{checklist_db}",
            "DATABASE_URL": feedback_url,
            "SPOOL_DB_URL": f"sqlite:///{checklist_db.parent / 'spool.db'}",
            "SHEET_LINKS_DB_URL": f"sqlite:///{checklist_db.parent / 'sheets.db'}",
            **extra_env,
        }
        self.log = checklist_db.parent / f"actions-{self.port}.log"
        self.proc = spawn(actions_command(self.port, "--loglevel", loglevel), env, stdout=open(self.log, "w"))
        wait_for(f"http://127.0.0.1:{self.port}/health")
        self.url = f"http://127.0.0.1:{self.port}/webhook"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


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
    argv = [
        *rasa_command(port, endpoints, token),
        "--log-file",
        str(folder / "rasa.log"),
        *(["--debug"] if debug else []),
    ]
    proc = spawn(argv, extra_env)
    try:
        wait_for(f"http://127.0.0.1:{port}/status?token={token}", timeout=240)
    except RuntimeError:
        proc.kill()
        raise
    return proc, f"http://127.0.0.1:{port}"
