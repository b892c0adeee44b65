"""`make bench`: simulated citizens hold realistic conversations over the REST channel.

Each citizen asks a question taken from the project's held-out questions
(tests/eval/questions.yml), follows up twice, prepares the checklist by pressing
the bot's own buttons until the 一次性告知单 arrives, and rates the service. The
run is repeated for 1, 10, 50 and 200 citizens at once, against the single-machine
default (one Rasa, one action server, SQLite) and against the cluster (nginx, two
Rasa servers, two action servers, PostgreSQL, Redis), side by side. A last run
measures whether a long conversation gets slower turn by turn.

    python -m bench.load [--levels 1 10 50 200] [--seconds 30] [--think 1.0] [--only single|cluster]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Dict, List, Optional, Tuple, cast

import httpx
import yaml

from tools.launch.cluster import Cluster, ClusterConfig
from tools.launch.processes import ActionServer, start_rasa
from common.settings import ROOT

TOKEN = "bench-api-token"
# The long conversation sends its 120 messages as fast as the bot answers, which no citizen does:
# the servers run with the per-sender limit raised (the benchmark's client is 127.0.0.1, a trusted
# front end, so the per-address limit does not apply). Every other limit is the default.
NO_SENDER_LIMIT = {"RATE_LIMIT_PER_MINUTE": "100000"}

FOLLOW_UPS = ["要多少钱", "在哪里办", "多久能办好", "需要什么条件", "可以网上办吗", "几点上班"]


def questions() -> List[str]:
    data = yaml.safe_load((ROOT / "tests" / "eval" / "questions.yml").read_text(encoding="utf-8"))
    return [q["text"] for q in data if q.get("service")]


@dataclass
class Results:
    latencies: List[float] = field(default_factory=list)
    errors: int = 0
    messages: int = 0
    seconds: float = 0.0  # from the start of the level to the last reply

    def add(self, seconds: float, ok: bool) -> None:
        self.messages += 1
        self.latencies.append(seconds)
        if not ok:
            self.errors += 1


class Citizen:
    def __init__(
        self, client: httpx.AsyncClient, url: str, results: Results, think: float, stop_at: float = float("inf")
    ) -> None:
        self.client, self.url, self.results, self.think = client, url, results, think
        self.stop_at = stop_at  # no new message after this (time.monotonic()), so the rate is per measured second
        self.sender = f"bench-{uuid.uuid4().hex[:12]}"

    async def say(self, text: str) -> List[dict]:
        if time.monotonic() >= self.stop_at:
            return []
        started = time.perf_counter()
        try:
            response = await self.client.post(self.url, json={"sender": self.sender, "message": text})
            replies = response.json() if response.status_code == 200 else []
            ok = response.status_code == 200 and bool(replies)
        except (httpx.HTTPError, ValueError):
            replies, ok = [], False
        self.results.add(time.perf_counter() - started, ok)
        if self.think:
            await asyncio.sleep(random.uniform(0.5, 1.5) * self.think)
        return replies

    @staticmethod
    def button(replies: List[dict], title: Optional[str] = None) -> Optional[str]:
        for m in replies:
            for b in m.get("buttons") or []:
                if title is None or b.get("title") == title:
                    return b["payload"]
        return None

    async def conversation(self, asked: List[str]) -> None:
        """Ask, follow up, prepare the checklist with the buttons, rate."""
        replies = await self.say(random.choice(asked))
        for text in random.sample(FOLLOW_UPS, 2):
            replies = await self.say(text)
        start = self.button(replies, "开始准备材料")
        replies = await self.say(start or "帮我准备材料")
        for _ in range(15):
            if any((m.get("custom") or {}).get("checklist") for m in replies):
                break
            answer = self.button(replies)
            if not answer:
                break
            replies = await self.say(answer)
        rate = self.button(replies, "评价本次服务")
        if rate:
            replies = await self.say(rate)
            five = self.button(replies)
            if five:
                await self.say(five)


async def run_level(url: str, citizens: int, seconds: float, think: float, asked: List[str]) -> Results:
    results = Results()
    started = time.monotonic()
    stop_at = started + seconds
    limits = httpx.Limits(max_connections=citizens + 10, max_keepalive_connections=citizens + 10)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def one():
            await asyncio.sleep(random.uniform(0, 2 * think))  # citizens arrive over time, not all at one instant
            while time.monotonic() < stop_at:
                await Citizen(client, url, results, think, stop_at).conversation(asked)

        await asyncio.gather(*(one() for _ in range(citizens)))
    results.seconds = time.monotonic() - started
    return results


async def long_conversation(url: str, turns: int) -> Tuple[float, float, int]:
    """p50 latency of the first ten and the last ten turns of one long conversation."""
    results = Results()
    async with httpx.AsyncClient(timeout=60) as client:
        citizen = Citizen(client, url, results, think=0)
        for i in range(turns):
            await citizen.say(FOLLOW_UPS[i % len(FOLLOW_UPS)] if i else "办护照要带什么")
    lat = results.latencies
    return statistics.median(lat[:10]) * 1000, statistics.median(lat[-10:]) * 1000, results.errors


def rss_mb(pids: List[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def children(pid: int) -> List[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [pid] + [c for p in out for c in children(int(p))]


def cmd(proc: subprocess.Popen) -> List[str]:
    """The command a cluster process was started with: Cluster._spawn always passes a list of str."""
    return cast(List[str], proc.args)


def percentile(values: List[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


class Single:
    """The embedded default, as `make run` starts it, on free ports."""

    def __init__(self, env: Optional[Dict[str, str]] = None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="bench-single-"))
        self.actions = ActionServer(self.dir / "checklists.db", loglevel="WARNING")
        self.rasa, self.url = start_rasa(self.actions.url, self.dir, TOKEN, debug=False, **(env or {}))

    def pids(self) -> Dict[str, List[int]]:
        return {"rasa": children(self.rasa.pid), "actions": children(self.actions.proc.pid)}

    def stop(self) -> None:
        self.rasa.terminate()
        self.rasa.wait(timeout=30)
        self.actions.stop()


class ClusterTarget:
    """`make run-cluster` (nginx, PostgreSQL, Redis) with `rasa` Rasa and `actions` action servers, on free ports."""

    def __init__(self, rasa: int = 2, actions: int = 2, env: Optional[Dict[str, str]] = None) -> None:
        cfg = ClusterConfig.on_free_ports(
            Path(tempfile.mkdtemp(prefix="bench-cluster-")), TOKEN, "zhengwu_bench", rasa, actions
        )
        cfg.env.update(env or {})
        self.cluster = Cluster(cfg).start()
        self.url = f"http://127.0.0.1:{cfg.entry_port}"

    def pids(self) -> Dict[str, List[int]]:
        rasa = [
            p
            for proc in self.cluster.procs
            if "rasa" in " ".join(map(str, cmd(proc)))
            and "actions.server" not in " ".join(map(str, cmd(proc)))
            and "nginx" not in str(cmd(proc)[0])
            for p in children(proc.pid)
        ]
        actions = [
            p
            for proc in self.cluster.procs
            if "actions.server" in " ".join(map(str, cmd(proc)))
            for p in children(proc.pid)
        ]
        return {"rasa": rasa, "actions": actions}

    def stop(self) -> None:
        self.cluster.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 10, 50, 200])
    parser.add_argument("--seconds", type=float, default=30, help="per level")
    parser.add_argument("--think", type=float, default=1.0, help="a citizen's mean pause between messages, s")
    parser.add_argument("--long-turns", type=int, default=120)
    parser.add_argument("--only", choices=["single", "cluster"])
    args = parser.parse_args()
    asked = questions()
    targets = [("single", Single), ("cluster", ClusterTarget)]
    rows = []
    for name, make in targets:
        if args.only and name != args.only:
            continue
        print(f"starting {name}…", flush=True)
        target = make(env=NO_SENDER_LIMIT)
        try:
            for level in args.levels:
                r = asyncio.run(
                    run_level(f"{target.url}/webhooks/rest/webhook", level, args.seconds, args.think, asked)
                )
                mem = {k: rss_mb(v) for k, v in target.pids().items()}
                row = (
                    name,
                    level,
                    r.messages / r.seconds,
                    percentile(r.latencies, 50),
                    percentile(r.latencies, 95),
                    percentile(r.latencies, 99),
                    r.errors,
                    r.messages,
                    mem["rasa"],
                    mem["actions"],
                )
                rows.append(row)
                print(
                    "{:<8} {:>4} citizens  {:>6.1f} msg/s  p50 {:>6.0f} ms  p95 {:>6.0f} ms  p99 {:>6.0f} ms  "
                    "errors {}/{}  Rasa {:.0f} MB  actions {:.0f} MB".format(*row),
                    flush=True,
                )
            first, last, errors = asyncio.run(long_conversation(f"{target.url}/webhooks/rest/webhook", args.long_turns))
            print(
                f"{name:<8} one conversation of {args.long_turns} turns: p50 first 10 turns {first:.0f} ms, "
                f"last 10 turns {last:.0f} ms, errors {errors}",
                flush=True,
            )
        finally:
            target.stop()
    print(
        "\n| setup | citizens | msg/s | p50 ms | p95 ms | p99 ms | errors | Rasa MB | actions MB |  "
        f"({date.today()}, think time {args.think} s, {args.seconds:.0f} s per level)"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, level, rate, p50, p95, p99, errors, total, rasa_mb, actions_mb in rows:
        print(
            f"| {name} | {level} | {rate:.1f} | {p50:.0f} | {p95:.0f} | {p99:.0f} | {errors}/{total} | "
            f"{rasa_mb:.0f} | {actions_mb:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
