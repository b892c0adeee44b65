"""`make run-cluster`: N Rasa servers and M action servers behind nginx, on PostgreSQL and Redis.

    python -m tools.launch cluster --rasa 2 --actions 2            (Ctrl+C stops everything)

One machine here; the same files spread over several (docs/operations.md "Scaling out"):
- nginx (deploy/nginx.conf.template) is the one entry point for the channels, and
  balances Rasa's calls over the action servers;
- every Rasa server keeps conversations in PostgreSQL (its SQL tracker store) and
  takes a Redis lock per conversation, so any server can take any message and one
  conversation's messages are handled in order (deploy/endpoints.cluster.yml);
- the action servers keep checklists and ratings in the same PostgreSQL.
PostgreSQL and Redis are the ones on 127.0.0.1 unless PG_HOST/PG_PORT/PG_USER/
PG_PASSWORD/PG_DB and REDIS_HOST/REDIS_PORT/REDIS_DB say otherwise.
"""

from __future__ import annotations

import argparse
import getpass
import json
import math
import shutil
import signal
import socket
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from bot.rasa_runtime.rest_request import too_fast, too_large
from common import settings
from common.admin import admin_token
from tools.launch.processes import (
    MODEL,
    ROOT,
    ProcessGroup,
    actions_command,
    free_port,
    kiosk_command,
    rasa_command,
)


class ClusterError(Exception):
    """Something the operator has to fix; said in one line."""


@dataclass
class ClusterConfig:
    rasa: int = 2
    actions: int = 2
    entry_port: int = 8000
    actions_port: int = 8001
    rasa_base_port: int = 5006
    actions_base_port: int = 5056
    kiosk_port: Optional[int] = 8080
    run_dir: Path = settings.VAR_DIR / "cluster"
    token: str = ""
    pg: Dict[str, str] = field(default_factory=settings.postgres)
    redis: Dict[str, str] = field(default_factory=settings.redis)
    fixed_ports: Optional[Tuple[List[int], List[int]]] = None  # (Rasa, action servers), instead of base + i
    env: Dict[str, str] = field(default_factory=dict)  # settings for every process it starts (the benchmark's)

    @property
    def database_url(self) -> str:
        p = self.pg
        auth = p["PG_USER"] + (f":{p['PG_PASSWORD']}" if p["PG_PASSWORD"] else "")
        return f"postgresql://{auth}@{p['PG_HOST']}:{p['PG_PORT']}/{p['PG_DB']}"

    @classmethod
    def on_free_ports(cls, run_dir: Path, token: str, db: str, rasa: int = 2, actions: int = 2) -> "ClusterConfig":
        """A cluster on ports nobody uses and its own database, without a kiosk: for the tests and the benchmark."""
        cfg = cls(
            rasa=rasa,
            actions=actions,
            entry_port=free_port(),
            actions_port=free_port(),
            kiosk_port=None,
            run_dir=run_dir,
            token=token,
            fixed_ports=([free_port() for _ in range(rasa)], [free_port() for _ in range(actions)]),
        )
        cfg.pg["PG_DB"] = db
        return cfg

    def rasa_ports(self) -> List[int]:
        return self.fixed_ports[0] if self.fixed_ports else [self.rasa_base_port + i for i in range(self.rasa)]

    def actions_ports(self) -> List[int]:
        return self.fixed_ports[1] if self.fixed_ports else [self.actions_base_port + i for i in range(self.actions)]


def check_services(cfg: ClusterConfig) -> None:
    """nginx installed, PostgreSQL and Redis reachable, the database there: or a clear message."""
    if not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists():
        raise ClusterError("找不到 nginx。请安装：sudo apt-get install nginx-light")
    try:
        with socket.create_connection((cfg.redis["REDIS_HOST"], int(cfg.redis["REDIS_PORT"])), timeout=3) as s:
            s.sendall(b"PING\r\n")
            if not s.recv(16).startswith(b"+PONG"):
                raise OSError("no PONG")
    except OSError as exc:
        raise ClusterError(f"连不上 Redis {cfg.redis['REDIS_HOST']}:{cfg.redis['REDIS_PORT']}（{exc}）")
    import psycopg2

    p = cfg.pg
    try:
        conn = psycopg2.connect(
            host=p["PG_HOST"],
            port=p["PG_PORT"],
            user=p["PG_USER"],
            password=p["PG_PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
        )
    except psycopg2.Error as exc:
        raise ClusterError(f"连不上 PostgreSQL {p['PG_HOST']}:{p['PG_PORT']}（{str(exc).strip()}）")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("select 1 from pg_database where datname = %s", (p["PG_DB"],))
        if not cur.fetchone():
            cur.execute(f'create database "{p["PG_DB"]}"')
    conn.close()


def write_nginx_conf(cfg: ClusterConfig) -> Path:
    """deploy/nginx.conf.template with this cluster's ports and the REST channel's limits (the same settings)."""
    cfg.run_dir.mkdir(parents=True, exist_ok=True)
    template = (ROOT / "deploy" / "nginx.conf.template").read_text(encoding="utf-8")
    per_minute = settings.rate_limit_per_address()
    retry_after = math.ceil(60 / per_minute)
    interface = settings.rasa_interface()
    text = template.format(
        user=getpass.getuser(),
        run_dir=cfg.run_dir,
        entry_port=cfg.entry_port,
        actions_port=cfg.actions_port,
        interface=f"[{interface}]" if ":" in interface else interface,
        max_body=settings.max_request_bytes(),
        rate=per_minute,
        burst=max(1, per_minute // 4),
        trusted="\n".join(f"        {address} 1;" for address in settings.trusted_proxies()),
        too_large=json.dumps(too_large().body(), ensure_ascii=False),
        too_fast=json.dumps(too_fast(retry_after).body(), ensure_ascii=False),
        retry_after=retry_after,
        rasa_servers="\n".join(f"        server 127.0.0.1:{p};" for p in cfg.rasa_ports()),
        action_servers="\n".join(f"        server 127.0.0.1:{p};" for p in cfg.actions_ports()),
    )
    path = cfg.run_dir / "nginx.conf"
    path.write_text(text, encoding="utf-8")
    return path


class Cluster:
    """The processes of one cluster; `start` waits until the entry point answers."""

    def __init__(self, cfg: ClusterConfig) -> None:
        self.cfg = cfg
        self.logs = cfg.run_dir
        self.group = ProcessGroup(cfg.run_dir, cfg.env, own_groups=True)

    @property
    def procs(self) -> List:
        return list(self.group.procs.values())

    def start(self, timeout: float = 300) -> "Cluster":
        cfg = self.cfg
        if not MODEL.exists():
            raise ClusterError("还没有训练好的模型：先运行 make train")
        check_services(cfg)
        conf = write_nginx_conf(cfg)
        # The action servers and the kiosk share the human-help queue (人工帮办) in the same PostgreSQL.
        store_env = {
            "DATABASE_URL": cfg.database_url,
            "CHECKLIST_DB_URL": cfg.database_url,
            "HANDOVER_DB_URL": cfg.database_url,
        }
        for i, port in enumerate(cfg.actions_ports()):
            self.group.start(f"actions-{i}", actions_command(port), store_env)
        rasa_env = {**cfg.pg, **cfg.redis, "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{cfg.actions_port}/webhook"}
        endpoints = ROOT / "deploy" / "endpoints.cluster.yml"
        for i, port in enumerate(cfg.rasa_ports()):  # behind nginx, which listens where RASA_INTERFACE says
            self.group.start(f"rasa-{i}", rasa_command(port, endpoints, cfg.token, interface="127.0.0.1"), rasa_env)
        self.group.start("nginx", ["nginx", "-p", str(cfg.run_dir), "-c", str(conf)])
        if cfg.kiosk_port:
            self.group.start("kiosk", kiosk_command(cfg.kiosk_port, f"http://127.0.0.1:{cfg.entry_port}"), store_env)
        query = f"?token={cfg.token}" if cfg.token else ""
        for port in cfg.rasa_ports():
            self._wait(f"http://127.0.0.1:{port}/status{query}", timeout)
        self._wait(f"http://127.0.0.1:{cfg.entry_port}/status{query}", 30)
        return self

    def _wait(self, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = self.group.first_dead()
            if dead is not None:
                self.stop()
                raise ClusterError(f"一个进程退出了（{dead[0]}），见 {self.logs}/{dead[0]}.log")
            try:
                with urllib.request.urlopen(url, timeout=3):
                    return
            except OSError:
                time.sleep(1)
        self.stop()
        raise ClusterError(f"{url} 在 {timeout:.0f} 秒内没有启动，见 {self.logs}/*.log")

    def stop(self) -> None:
        self.group.stop(timeout=30)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.launch cluster", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rasa", type=int, default=2, help="Rasa servers (default 2)")
    parser.add_argument("--actions", type=int, default=2, help="action servers (default 2)")
    parser.add_argument("--port", type=int, default=8000, help="the entry point (default 8000)")
    parser.add_argument("--kiosk-port", type=int, default=8080)
    args = parser.parse_args(argv)
    cfg = ClusterConfig(
        rasa=args.rasa, actions=args.actions, entry_port=args.port, kiosk_port=args.kiosk_port, token=admin_token()
    )
    cluster = Cluster(cfg)
    try:
        cluster.start()
    except ClusterError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    print(
        f"\n======== 集群已启动：{cfg.rasa} 个 Rasa、{cfg.actions} 个动作服务器，nginx 入口 :{cfg.entry_port} ========"
    )
    print(
        f"对话存 PostgreSQL（{cfg.pg['PG_HOST']}:{cfg.pg['PG_PORT']}/{cfg.pg['PG_DB']}），"
        f"会话锁在 Redis（{cfg.redis['REDIS_HOST']}:{cfg.redis['REDIS_PORT']}）"
    )
    print(f"服务大厅自助屏：http://localhost:{cfg.kiosk_port}/")
    print(
        f"REST 接口：curl -s localhost:{cfg.entry_port}/webhooks/rest/webhook "
        '-d \'{"sender":"me","message":"办护照要带什么"}\''
    )
    print(f"日志：{cfg.run_dir}/*.log   按 Ctrl+C 停止。")

    def stop(*_) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        while cluster.group.first_dead() is None:
            time.sleep(1)
        print("错误：有进程退出了，正在停止集群。", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        cluster.stop()
