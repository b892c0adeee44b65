"""The scale-out path for real: two Rasa servers and two action servers behind nginx,
sharing PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379)."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
import uuid

import psycopg2
import pytest

from helpers import (
    API_TOKEN,
    free_port,
    post_raw,
    rest,
    start_rasa,
    stored_turns,
    texts,
    turns_in_order,
    wait_for,
)

from tools.launch.cluster import Cluster, ClusterConfig, ClusterError, write_nginx_conf
from common import settings
from tools.launch.processes import kiosk_command, spawn


def say(base: str, sender: str, text: str, timeout: float = 60) -> str:
    return texts(rest(base, sender, text, timeout))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    db = f"zhengwu_test_{uuid.uuid4().hex[:8]}"
    cfg = ClusterConfig.on_free_ports(tmp_path_factory.mktemp("cluster"), API_TOKEN, db)
    running = Cluster(cfg).start()
    try:
        yield cfg
    finally:
        running.stop()
        conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'drop database if exists "{db}" with (force)')
        conn.close()


def test_turn_two_on_another_server_keeps_the_context(cluster):
    a, b = (f"http://127.0.0.1:{p}" for p in cluster.rasa_ports())
    sender = f"cluster-{uuid.uuid4().hex[:6]}"
    assert "普通护照签发" in say(a, sender, "办护照要带什么")
    answer = say(b, sender, "要多少钱")  # server B has never seen this citizen
    assert "普通护照签发" in answer and "120元" in answer


def test_the_entry_point_balances_and_stores_in_postgres(cluster):
    entry = f"http://127.0.0.1:{cluster.entry_port}"
    sender = f"cluster-{uuid.uuid4().hex[:6]}"
    for text in ["第一次办社保卡在哪里办", "要带什么", "多久能办好"]:
        assert "社会保障卡" in say(entry, sender, text)
    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=cluster.pg["PG_DB"])
    with conn.cursor() as cur:
        cur.execute("select count(*) from events where sender_id = %s and type_name = 'user'", (sender,))
        assert cur.fetchone()[0] == 3
    conn.close()


def test_four_messages_at_once_in_one_conversation_are_handled_one_after_the_other(cluster):
    a, b = (f"http://127.0.0.1:{p}" for p in cluster.rasa_ports())
    sender = f"cluster-{uuid.uuid4().hex[:6]}"
    say(a, sender, "办护照要带什么")
    answers, failures = {}, {}

    def ask(url: str, text: str) -> None:
        started = time.monotonic()
        try:
            answers[text] = say(url, sender, text, timeout=180)
        except Exception as exc:  # noqa: BLE001 - reported below, with how long it took
            failures[text] = f"{exc!r} after {time.monotonic() - started:.0f} s"

    threads = [
        threading.Thread(target=ask, args=(u, t))
        for u, t in ((a, "要多少钱"), (b, "在哪里办"), (a, "多久能办好"), (b, "办理时间是几点"))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert not failures, failures
    assert "120元" in answers["要多少钱"] and "出入境" in answers["在哪里办"]
    assert all("普通护照签发" in a for a in answers.values()), answers
    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=cluster.pg["PG_DB"])
    turns = stored_turns(conn, sender, "%s")
    conn.close()
    assert len([t for t, _ in turns if t == "user"]) == 5, turns
    assert turns_in_order(turns), turns  # each question is followed by its own answer: the Redis lock


def test_nginx_refuses_a_big_body_and_a_flood_in_the_channels_own_words(cluster):
    entry = f"http://127.0.0.1:{cluster.entry_port}"
    hook = f"{entry}/webhooks/rest/webhook"
    big = post_raw(hook, json.dumps({"sender": "big", "message": "x" * 20_000}).encode())
    assert big.status == 413 and "Request body too large" in big.body["error"]
    # 127.0.0.2 is not a front end of ours: nginx counts its requests (a quarter minute's worth at once)
    answers = [post_raw(hook, b"{}", source="127.0.0.2") for _ in range(settings.rate_limit_per_address() // 4 + 5)]
    refused = [a for a in answers if a.status == 429]
    assert refused and {a.status for a in answers} == {400, 429}
    assert "Too many messages" in refused[0].body["error"] and int(refused[0].headers["retry-after"]) >= 1
    # the kiosk and the relay (on 127.0.0.1) are not held up
    assert "普通护照签发" in say(entry, f"cluster-{uuid.uuid4().hex[:6]}", "办护照要带什么")


def test_the_cluster_listens_on_127_0_0_1_unless_told_otherwise(cluster, tmp_path, monkeypatch):
    for port in [cluster.entry_port, *cluster.rasa_ports(), *cluster.actions_ports()]:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.2", port), timeout=5)
    cfg = ClusterConfig(run_dir=tmp_path)
    monkeypatch.setenv("RASA_INTERFACE", "0.0.0.0")  # the operator opens the entry point; Rasa stays behind nginx
    assert f"listen 0.0.0.0:{cfg.entry_port};" in write_nginx_conf(cfg).read_text(encoding="utf-8")


def test_without_redis_the_citizen_gets_a_clear_error_not_a_reordered_conversation(tmp_path, action_server):
    dead = free_port()  # nothing listens here
    proc, url = start_rasa(
        action_server,
        tmp_path,
        extra_endpoints=(
            f"lock_store:\n  type: bot.rasa_runtime.AtomicRedisLockStore\n  url: 127.0.0.1\n  port: {dead}\n"
        ),
    )
    kiosk_port = free_port()
    kiosk = spawn(kiosk_command(kiosk_port, url))
    try:
        assert say(url, "no-redis", "办护照要带什么") == ""  # not processed unlocked: not processed at all
        wait_for(f"http://127.0.0.1:{kiosk_port}/healthz")
        request = urllib.request.Request(
            f"http://127.0.0.1:{kiosk_port}/api/message",
            json.dumps({"session": "no-redis-1", "text": "办护照要带什么"}).encode(),
            {"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 503 and "暂时无法查询" in json.loads(refused.value.read())["error"]
    finally:
        kiosk.terminate()
        proc.terminate()
        proc.wait(timeout=30)
    log = (tmp_path / "rasa.log").read_text(encoding="utf-8")
    assert "LockError" in log and "Connection refused" in log  # the operator's clear error


def test_a_missing_service_is_named(tmp_path):
    cfg = ClusterConfig(run_dir=tmp_path)
    cfg.redis["REDIS_PORT"] = str(free_port())
    with pytest.raises(ClusterError, match="连不上 Redis"):
        Cluster(cfg).start()
