"""The one-trip checklist flow, talked through with the trained model."""

from __future__ import annotations

import json
import sqlite3
from typing import Dict, List, Optional


from helpers import ActionServer, Conversation, buttons_of, load_agent

READY, MISSING, UNSURE = "已备好", "还没有", "不确定"


def press(answer: str) -> str:
    return "/checklist_answer" + json.dumps({"answer": answer}, ensure_ascii=False)


def current_step(messages: List[Dict]) -> Optional[Dict]:
    """The last message that asks a checklist step (it has answer buttons)."""
    for m in reversed(messages):
        if any(b["payload"].startswith("/checklist_answer") for b in m.get("buttons") or []):
            return m
    return None


def sheet_in(messages: List[Dict]) -> Optional[str]:
    return next((m["text"] for m in messages if m.get("text", "").startswith("【一次性告知单")), None)


def run_through(
    conversation: Conversation, messages: List[Dict], answers: Dict[str, str], statuses: Dict[str, str], turns: int = 40
) -> str:
    """Answer each step with the buttons, as a citizen would, until the sheet comes."""
    for _ in range(turns):
        sheet = sheet_in(messages)
        if sheet:
            return sheet
        step = current_step(messages)
        assert step, f"expected a question, got {[m.get('text') for m in messages]}"
        text = step["text"]
        titles = [b["title"] for b in step["buttons"]]
        if titles == [READY, MISSING, UNSURE]:
            answer = next((s for name, s in statuses.items() if name in text), READY)
        else:
            answer = next(a for fragment, a in answers.items() if fragment in text)
        messages = conversation.say(press(answer))
    raise AssertionError("the sheet never came")


def marked_lines(sheet: str) -> List[str]:
    return [line for line in sheet.splitlines() if line and line[0] in "✓✗？"]


PASSPORT_SELF = {"本人办理": "本人办理", "旧护照": "没有", "16周岁": "否"}


def test_passport_full_run(conversation):
    messages = conversation.say("帮我准备一下办护照的材料")
    sheet = run_through(conversation, messages, PASSPORT_SELF, {"出入境证件相片": MISSING})
    assert marked_lines(sheet) == ["✓ 已备好：居民身份证（原件，现场核验）", "✗ 还缺：出入境证件相片（原件 1份）"]
    assert "结论：还缺 1 项：出入境证件相片。" in sheet
    assert "受理大厅现场免费照相" in sheet  # where to get the missing one


def test_marriage_full_run_all_ready(conversation):
    messages = conversation.say("我们要去领结婚证，帮我核对一下材料")
    sheet = run_through(conversation, messages, {"婚姻状况": "未婚", "身份证": "是"}, {})
    assert [l[0] for l in marked_lines(sheet)] == ["✓", "✓", "✓"]
    assert "居民户口簿" not in sheet
    assert "结论：材料齐全，可一次办结。" in sheet


def test_agent_materials_appear_only_when_delegated(conversation):
    messages = conversation.say("我要去办营业执照，帮我核对")
    sheet = run_through(conversation, messages, {"本人办理": "委托他人", "企业类型": "有限责任公司"}, {"住所": MISSING})
    lines = marked_lines(sheet)
    assert any("授权委托书" in l for l in lines) and any("经办人居民身份证" in l for l in lines)
    assert not any("合伙协议" in l for l in lines)
    assert "还缺 1 项：住所（经营场所）使用证明" in sheet


def test_newborn_bundle_dedupes_and_groups_by_window(conversation):
    messages = conversation.say("孩子出生了，帮我理一下要准备什么")
    answers = {
        "本人办理": "本人办理",
        "户籍": "是",
        "婚姻": "已婚",
        "出生": "医疗机构内",
        "出生医学证明": "已取得",
        "资助": "否",
        "困难": "否",
        "低保": "否",
    }
    sheet = run_through(conversation, messages, answers, {"近期免冠证件照片": MISSING})
    lines = marked_lines(sheet)
    assert len([l for l in lines if "父母双方居民身份证" in l]) == 1
    assert "▍出生医学证明办理 窗口" in sheet and "▍社会保障卡申领 窗口" in sheet
    assert "还缺 1 项：近期免冠证件照片" in sheet


def test_question_in_the_middle_is_answered_then_the_flow_resumes(conversation):
    opening = conversation.say("帮我准备一下办护照的材料")
    assert not any("没听明白" in m.get("text", "") for m in opening)  # the request is not an answer
    first = current_step(opening)
    assert "本人办理" in first["text"]
    messages = conversation.say("身份证复印件要几份？")
    assert "普通护照签发" in messages[0]["text"] and "1. 居民身份证" in messages[0]["text"]
    again = current_step(messages)
    assert again and again["text"] == first["text"]  # the same step, asked again
    messages = conversation.say("办理地点在哪？")
    assert "办理地点" in messages[0]["text"] and current_step(messages)["text"] == first["text"]
    sheet = run_through(conversation, conversation.say(press("本人办理")), PASSPORT_SELF, {})
    assert "材料齐全" in sheet


def test_several_materials_answered_in_one_sentence(conversation):
    messages = conversation.say("帮我准备一下办护照的材料")
    for answer in ("本人办理", "没有", "否"):
        messages = conversation.say(press(answer))
    assert "居民身份证" in current_step(messages)["text"]
    sheet = sheet_in(conversation.say("都有了，就是没有照片"))
    assert marked_lines(sheet) == ["✓ 已备好：居民身份证（原件，现场核验）", "✗ 还缺：出入境证件相片（原件 1份）"]


def test_cancel_leaves_cleanly(conversation):
    conversation.say("帮我准备一下办护照的材料")
    reply = conversation.text("算了")
    assert "已退出材料准备" in reply
    reply = conversation.text("护照多少钱")
    assert "120元" in reply and "备好了吗" not in reply and "本人办理" not in reply


def test_unclear_answers_are_asked_again_twice_then_marked_unsure(conversation):
    conversation.say("帮我准备一下办护照的材料")
    for answer in ("本人办理", "没有", "否"):
        conversation.say(press(answer))
    first = conversation.text("随便吧")
    assert "没听明白" in first
    assert "没听明白" in conversation.text("嗯哼")
    messages = conversation.say("哦")
    assert "记为“不确定”" in messages[0]["text"]
    assert "出入境证件相片" in current_step(messages)["text"]  # moved on


def test_numbers_typed_by_the_citizen_are_never_shown_unmasked(conversation, checklist_db):
    conversation.say("帮我准备一下办护照的材料")
    replies = [conversation.text("我身份证是110105199001010123，电话13800138000")]
    messages = conversation.say(press("本人办理"))
    replies += [m.get("text", "") for m in messages]
    sheet = run_through(conversation, messages, PASSPORT_SELF, {})
    for text in replies + [sheet]:
        assert "110105199001010123" not in text and "13800138000" not in text
    with sqlite3.connect(checklist_db) as conn:
        stored = " ".join(r[0] for r in conn.execute("select state from checklist_progress"))
    assert "110105199001010123" not in stored and "13800138000" not in stored


def test_delete_my_record(conversation):
    conversation.say("帮我准备一下办护照的材料")
    conversation.say(press("本人办理"))
    assert "已删除您的记录：1 份准备清单" in conversation.text("删除我的记录")
    assert "没有找到您保存的清单" in conversation.text("继续准备")


def test_progress_survives_a_restart_of_rasa_and_the_action_server(tmp_path, event_loop_session):
    checklist_db, tracker_db = tmp_path / "checklists.db", tmp_path / "tracker.db"
    server = ActionServer(checklist_db)
    try:
        before = Conversation(load_agent(server.url, tracker_db), event_loop_session, "restart-citizen")
        before.say("帮我准备一下办护照的材料")
        before.say(press("本人办理"))
        asked = current_step(before.say(press("没有")))
        assert "16周岁" in asked["text"]
    finally:
        server.stop()

    server = ActionServer(checklist_db)  # both processes start afresh on the same databases
    try:
        after = Conversation(load_agent(server.url, tracker_db), event_loop_session, "restart-citizen")
        messages = after.say("继续准备")
        assert "接着上次" in messages[0]["text"]
        assert current_step(messages)["text"] == asked["text"]
        sheet = run_through(after, messages, PASSPORT_SELF, {})
        assert "材料齐全" in sheet
    finally:
        server.stop()


def test_my_checklist_shows_the_finished_sheet_again(conversation):
    sheet = run_through(conversation, conversation.say("帮我准备一下办护照的材料"), PASSPORT_SELF, {})
    again = sheet_in(conversation.say("我的清单"))
    assert again.split("手机查看")[0] == sheet.split("手机查看")[0]  # the same sheet (each showing, its own link)


def test_start_without_a_service_asks_which(conversation):
    messages = conversation.say("帮我准备一下材料")
    assert "哪一项" in messages[0]["text"]
    assert all(b["payload"].startswith("/start_checklist{") for b in buttons_of(messages))


def test_an_answer_given_in_the_request_is_not_asked_again(conversation):
    step = current_step(conversation.say("帮我准备一下委托别人办护照的材料"))
    assert "旧护照" in step["text"]  # 本人还是委托 was already answered
    sheet = run_through(conversation, conversation.say(press("没有")), PASSPORT_SELF, {})
    assert any("授权委托书" in line for line in marked_lines(sheet))


def test_steps_taken_while_postgres_is_away_are_kept_and_stored_once_when_it_is_back(tmp_path, event_loop_session):
    """The checklist database does not exist yet (unreachable): the steps wait on local disk, then go in once."""
    import time
    import uuid

    import psycopg2

    db = f"zhengwu_checklist_{uuid.uuid4().hex[:8]}"
    server = ActionServer(tmp_path / "checklists.db", CHECKLIST_DB_URL=f"postgresql://postgres@127.0.0.1:5432/{db}")
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    try:
        citizen = Conversation(load_agent(server.url), event_loop_session, f"outage-{uuid.uuid4().hex[:6]}")
        citizen.say("帮我准备一下办护照的材料")
        citizen.say(press("本人办理"))
        asked = current_step(citizen.say(press("没有")))
        assert "16周岁" in asked["text"], "the citizen goes on as if nothing happened"

        with admin.cursor() as cur:
            cur.execute(f'create database "{db}"')  # PostgreSQL is back
        state = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and state is None:
            time.sleep(1)
            try:
                with psycopg2.connect(host="127.0.0.1", user="postgres", dbname=db) as conn, conn.cursor() as cur:
                    cur.execute("select state from checklist_progress")
                    rows = cur.fetchall()
                    state = json.loads(rows[0][0]) if rows else None
            except psycopg2.Error:
                pass
        assert state and state["entry_id"] == "passport"
        assert state["answers"] == {"applicant": "本人办理", "has_old_passport": "没有"}
        time.sleep(3)  # a few more drains: still one row, still the newest step
        with psycopg2.connect(host="127.0.0.1", user="postgres", dbname=db) as conn, conn.cursor() as cur:
            cur.execute("select count(*) from checklist_progress")
            assert cur.fetchone()[0] == 1

        sheet = run_through(citizen, citizen.say(press("否")), PASSPORT_SELF, {})
        assert "材料齐全" in sheet
    finally:
        server.stop()
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{db}" with (force)')
        admin.close()


def test_the_sheet_comes_with_a_link_a_phone_opens_until_staff_revoke_it(conversation, checklist_db, rasa_server):
    import os
    import re
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from helpers import Kiosk

    messages = conversation.say("帮我准备一下办护照的材料")
    sheet = run_through(conversation, messages, PASSPORT_SELF, {"出入境证件相片": MISSING})
    link = re.search(r"手机查看、保存这份清单：(\S+/sheet/([A-Za-z0-9_-]+))（7 天内有效）", sheet)
    assert link, sheet
    token = link.group(2)
    sheets_db = f"sqlite:///{checklist_db.parent / 'sheets.db'}"  # the action server's (ActionServer)
    kiosk = Kiosk(rasa_server[0], SHEET_LINKS_DB_URL=sheets_db)
    try:
        with urllib.request.urlopen(f"{kiosk.url}/sheet/{token}", timeout=10) as page:
            html = page.read().decode()
        assert "普通护照签发" in html and "出入境证件相片" in html and "✗" in html
        revoked = subprocess.run(
            [sys.executable, "-m", "tools.sheet_links", "revoke", link.group(1), "--by", "周九"],
            env={**os.environ, "SHEET_LINKS_DB_URL": sheets_db},
            capture_output=True,
            text=True,
        )
        assert revoked.returncode == 0, revoked.stderr
        try:
            urllib.request.urlopen(f"{kiosk.url}/sheet/{token}", timeout=10)
            raise AssertionError("a revoked link still opens the sheet")
        except urllib.error.HTTPError as gone:
            assert gone.code == 410 and "已被工作人员撤销" in gone.read().decode()
    finally:
        kiosk.stop()
