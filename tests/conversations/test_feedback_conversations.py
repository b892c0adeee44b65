"""好差评 in conversation, with the real action server writing to its store."""

from __future__ import annotations

import time
import uuid

import sqlite3

import pytest

from helpers import ActionServer, Conversation, buttons_of, load_agent


def press(messages, title: str) -> str:
    return next(b["payload"] for b in buttons_of(messages) if b["title"] == title)


def rows(db, sql: str):
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def feedback_db(checklist_db):
    return checklist_db.parent / "feedback.db"


def test_good_rating_is_stored_and_offered_once_per_item(conversation, feedback_db):
    answer = conversation.say("护照多少钱")
    prompt = conversation.say(press(answer, "评价本次服务"))
    assert [b["title"] for b in buttons_of(prompt)] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    reply = conversation.text(press(prompt, "非常满意"))
    assert "已记录您对「普通护照签发」的评价：非常满意" in reply
    assert ("passport", 5) in rows(feedback_db, "select entry_id, rating from feedback_ratings")
    later = conversation.say("护照在哪里办")
    assert "评价本次服务" not in [b["title"] for b in buttons_of(later)]
    assert "已经评价过" in conversation.text("我要评价一下护照这个服务")


def test_bad_rating_asks_aspect_comment_and_callback(conversation, feedback_db):
    conversation.say("第一次办社保卡在哪里办")
    prompt = conversation.say("我要评价")
    aspect = conversation.say(press(prompt, "不满意"))
    assert "哪方面" in aspect[0]["text"]
    assert "办事效率" in [b["title"] for b in buttons_of(aspect)]
    assert "具体情况" in conversation.text(press(aspect, "办事指南精确度"))
    consent = conversation.say("指南上写的材料和窗口要求不一样")
    assert "回访" in consent[0]["text"]
    assert "手机号" in conversation.text(press(consent, "同意回访"))
    reply = conversation.text("13800138000")
    assert "不满意" in reply and "1 个工作日" in reply and "15 个工作日" in reply
    assert "138****8000" in reply and "13800138000" not in reply
    [(rating, dimension, comment, phone)] = rows(
        feedback_db,
        "select rating, dimension, comment, callback_phone from feedback_ratings "
        "where entry_id = 'social-security-card' and rating = 2",
    )
    assert (rating, dimension, phone) == (2, "办事指南精确度", "13800138000")
    assert comment == "指南上写的材料和窗口要求不一样"
    assert rows(feedback_db, "select count(*) from feedback_cases")[0][0] >= 1


def test_ignored_rating_prompt_lets_the_citizen_carry_on(conversation):
    conversation.say("结婚登记要带什么")
    conversation.say("我要评价")
    reply = conversation.text("结婚登记在哪里办")
    assert "办理地点" in reply
    assert "政务服务助手" in conversation.text("你好呀")  # the rating form is gone


def test_follow_up_rating(conversation, feedback_db):
    conversation.say("公积金提取要带什么")
    prompt = conversation.say("我要评价")
    conversation.say(press(prompt, "基本满意"))
    prompt = conversation.say("我要追评")
    assert "请为本次服务评价" in prompt[0]["text"]
    assert "已记录" in conversation.text(press(prompt, "满意"))
    [(first_id,)] = rows(
        feedback_db, "select id from feedback_ratings where entry_id = 'housing-fund-withdrawal' and rating = 3"
    )
    assert rows(feedback_db, f"select rating from feedback_ratings where follow_up_of = {first_id}") == [(4,)]
    assert "没有找到可以追评的评价" in conversation.text("我要追评")  # one 追评 per rating


def test_store_and_local_spool_both_down_is_admitted_not_hidden(tmp_path, event_loop_session):
    server = ActionServer(
        tmp_path / "checklists.db",
        feedback_url="postgresql://postgres@127.0.0.1:1/nowhere",
        SPOOL_DB_URL="sqlite:////proc/no-such-place/spool.db",
    )
    try:
        citizen = Conversation(load_agent(server.url), event_loop_session, "store-down")
        citizen.say("护照多少钱")
        prompt = citizen.say("我要评价")
        reply = citizen.text(press(prompt, "满意"))
        assert "暂时无法保存" in reply and "已记录" not in reply
    finally:
        server.stop()


@pytest.fixture
def postgres_later():
    """A PostgreSQL database that does not exist yet (unreachable to the stores): (its URL, make it exist, read it)."""
    import psycopg2

    db = f"zhengwu_spool_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True

    def create() -> None:
        with admin.cursor() as cur:
            cur.execute(f'create database "{db}"')

    def query(sql: str):
        """The rows of `sql`, or None while the database or its tables are not there yet."""
        try:
            with psycopg2.connect(host="127.0.0.1", user="postgres", dbname=db) as conn, conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        except psycopg2.Error:
            return None

    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{db}", create, query
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{db}" with (force)')
        admin.close()


def drained(query, sql: str, seconds: float = 30):
    """The rows of `sql` once the action server's spool has written something there."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = query(sql)
        if found:
            return found
        time.sleep(1)
    return query(sql)


def test_a_rating_given_while_postgres_is_away_is_stored_once_when_it_is_back(
    tmp_path, event_loop_session, postgres_later
):
    """The database does not exist yet (unreachable); the rating waits on local disk, then goes in once."""
    url, create, query = postgres_later
    server = ActionServer(tmp_path / "checklists.db", feedback_url=url)
    try:
        citizen = Conversation(load_agent(server.url), event_loop_session, f"spool-{uuid.uuid4().hex[:6]}")
        citizen.say("护照多少钱")
        reply = citizen.text(press(citizen.say("我要评价"), "满意"))
        assert "已记录" in reply and "恢复后自动入库" in reply
        create()  # PostgreSQL is back
        assert drained(query, "select entry_id, rating from feedback_ratings")
        time.sleep(3)  # a few more drains: still one rating
        assert query("select entry_id, rating from feedback_ratings") == [("passport", 4)]  # 满意
    finally:
        server.stop()


def test_a_callback_number_waits_encrypted_in_the_spool_and_arrives_whole(tmp_path, event_loop_session, postgres_later):
    """A consenting citizen's number is in the spool file only encrypted, and reaches the case unchanged."""
    url, create, query = postgres_later
    server = ActionServer(tmp_path / "checklists.db", feedback_url=url)
    try:
        citizen = Conversation(load_agent(server.url), event_loop_session, f"spool-{uuid.uuid4().hex[:6]}")
        citizen.say("第一次办社保卡在哪里办")
        aspect = citizen.say(press(citizen.say("我要评价"), "不满意"))
        citizen.say(press(aspect, "办事效率"))
        consent = citizen.say("窗口排队太久了")
        citizen.say(press(consent, "同意回访"))
        reply = citizen.text("13900139000")
        assert "恢复后自动入库" in reply and "139****9000" in reply
        spool = (tmp_path / "spool.db").read_bytes() + b"".join(
            p.read_bytes() for p in tmp_path.glob("spool.db-*")
        )  # and SQLite's write-ahead log
        assert b"spool_pending" in spool  # the spool file is the one written
        for plain in ("13900139000", "139****9000", "窗口排队太久了"):
            assert plain.encode() not in spool, plain
        create()  # PostgreSQL is back
        assert drained(query, "select callback_phone, comment from feedback_ratings") == [
            ("13900139000", "窗口排队太久了")
        ]
    finally:
        server.stop()
