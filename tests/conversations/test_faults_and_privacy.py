"""Faults a citizen could notice, and personal numbers that must never be kept in clear."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from domain_logic.handover.store import HandoverStore
from helpers import ActionServer, free_port, rest, start_rasa, wait_for
from tools.launch.processes import kiosk_command, spawn

ID_CARD, MOBILE, BANK_CARD = "11010519491231002X", "13812345678", "6222021234567890128"


def test_personal_numbers_are_in_no_log_and_no_database(rasa_server, checklist_db):
    url, tracker_db = rasa_server
    sender = f"privacy-{uuid.uuid4().hex[:6]}"
    for text in [
        f"我身份证{ID_CARD}丢了怎么补办",
        f"手机{MOBILE}，银行卡{BANK_CARD}能办社保卡吗",
        f"{MOBILE}",
        f"我的卡号是 6222 0212 3456 7890 128，身份证 {ID_CARD.lower()}",
    ]:
        assert rest(url, sender, text), "every message gets a reply"
    # At the kiosk, asking for a person puts the last messages into the agent's summary (handover store).
    kiosk_sender = f"{sender}-kiosk"
    for text in (f"我的手机{MOBILE}，身份证{ID_CARD}", "我要人工服务"):
        assert rest(url, kiosk_sender, text, channel="kiosk")
    time.sleep(1)  # let the log handlers flush
    handover = HandoverStore()  # the tests' HANDOVER_DB_URL (conftest.py), as the action server has it
    ticket = handover.open_ticket(kiosk_sender)
    assert ticket is not None and "138****5678" in json.dumps(ticket.summary, ensure_ascii=False)
    handover.leave(kiosk_sender)
    handover_db = Path(os.environ["HANDOVER_DB_URL"].removeprefix("sqlite:///"))

    files = [
        tracker_db.parent / "rasa.log",
        *tracker_db.parent.glob("tracker.db*"),  # with its write-ahead log
        *checklist_db.parent.glob("*.log"),
        *checklist_db.parent.glob("*.db*"),
        *handover_db.parent.glob("handover.db*"),
    ]
    assert len(files) >= 5
    clear = [ID_CARD, ID_CARD.lower(), MOBILE, BANK_CARD, "6222 0212 3456 7890 128"]
    for path in files:
        content = path.read_bytes().decode("utf-8", errors="replace")
        for number in clear:
            assert number not in content, f"{number} in clear in {path.name}"
    with sqlite3.connect(tracker_db) as conn:
        rows = [r[0] for r in conn.execute("select data from events where sender_id = ?", (sender,))]
    stored = "\n".join(rows)
    assert "110105********002X" in stored and "138****5678" in stored and "6222***********0128" in stored
    assert "110105********002X" in (tracker_db.parent / "rasa.log").read_text(encoding="utf-8")


def kiosk_ask(kiosk_url: str, session: str, text: str):
    request = urllib.request.Request(
        f"{kiosk_url}/api/message",
        json.dumps({"session": session, "text": text}).encode(),
        {"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_a_dead_or_hung_action_server_is_admitted_within_3_s_and_the_conversation_goes_on(tmp_path):
    port = free_port()
    actions = ActionServer(tmp_path / "checklists.db", port=port)
    rasa, url = start_rasa(actions.url, tmp_path)
    kiosk_port = free_port()
    kiosk = spawn(kiosk_command(kiosk_port, url))
    kiosk_url = f"http://127.0.0.1:{kiosk_port}"
    try:
        wait_for(f"{kiosk_url}/healthz")
        session = uuid.uuid4().hex
        status, body = kiosk_ask(kiosk_url, session, "办护照要带什么")
        assert status == 200 and "普通护照签发" in body["messages"][0]["text"]

        actions.proc.send_signal(signal.SIGSTOP)  # hung: accepts connections, never answers
        started = time.monotonic()
        status, body = kiosk_ask(kiosk_url, session, "要多少钱")
        assert time.monotonic() - started < 4.5  # Rasa gives up after 3 s, not 300
        assert status == 503 and "暂时无法查询，请稍后再试" in body["error"]

        actions.proc.send_signal(signal.SIGCONT)
        actions.stop()  # dead: the connection is refused
        started = time.monotonic()
        status, body = kiosk_ask(kiosk_url, session, "要多少钱")
        assert time.monotonic() - started < 3 and status == 503 and "暂时无法查询" in body["error"]

        actions = ActionServer(tmp_path / "checklists.db", port=port)  # back on the same port
        status, body = kiosk_ask(kiosk_url, session, "要多少钱")
        assert (
            status == 200 and "普通护照签发" in body["messages"][0]["text"] and "120元" in body["messages"][0]["text"]
        )
    finally:
        kiosk.terminate()
        rasa.terminate()
        rasa.wait(timeout=30)
        actions.proc.send_signal(signal.SIGCONT)
        actions.stop()


def test_a_conversation_resumes_from_the_tracker_store_after_rasa_is_killed_and_restarted(action_server, tmp_path):
    rasa, url = start_rasa(action_server, tmp_path)
    sender = f"restart-{uuid.uuid4().hex[:6]}"
    try:
        assert "普通护照签发" in rest(url, sender, "办护照要带什么")[0]["text"]
    finally:
        rasa.kill()  # a crash, not a clean stop
        rasa.wait(timeout=30)
    rasa, url = start_rasa(action_server, tmp_path)  # a new process on the same tracker store
    try:
        reply = rest(url, sender, "要多少钱")[0]["text"]
        assert "普通护照签发" in reply and "120元" in reply, "the service in context came from the tracker store"
    finally:
        rasa.terminate()
        rasa.wait(timeout=30)
