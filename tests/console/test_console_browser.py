"""The staff console used the way staff use it: in a real (headless) Chromium, against a running bot.

Debian's `chromium` driven by Playwright (as tests/relays/test_kiosk.py does; `make browser`). The console,
Rasa and the action server run as `make run` starts them, on a copy of the knowledge base, so a
published change must reach the bot's answers. Without the browser these tests fail, they do not skip.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
import uuid
from datetime import datetime, timedelta
from typing import Iterator

import pytest

from console_helpers import PASSWORD
from helpers import API_TOKEN, ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, ROOT, ActionServer, free_port, start_rasa, wait_for
from tools.launch.processes import console_command, spawn

ROLES = {
    "admin": ["admin"],
    "editor": ["editor"],
    "reviewer": ["reviewer"],
    "analyst": ["analyst"],
    "agent": ["agent"],
    "locked": ["editor"],
}
NAMES = {
    "admin": "管理员甲",
    "editor": "张三",
    "reviewer": "李四",
    "analyst": "王五",
    "agent": "赵六",
    "locked": "孙八",
}
# The menu each role sees, and a page of another role it is refused.
MENUS = {
    "admin": (["导入", "账号管理"], "/kb"),
    "editor": (["知识库", "待审草稿", "待复核", "未答问题"], "/accounts"),
    "reviewer": (["知识库", "待审草稿", "待复核", "未答问题"], "/feedback"),
    "analyst": (["人工服务数据", "好差评", "差评案件"], "/kb"),
    "agent": (["人工服务", "人工服务数据", "回电", "差评案件"], "/inbox"),
}


class Stack:
    """Rasa, the action server and the console on one copy of the knowledge base and one feedback database."""

    def __init__(self, folder) -> None:
        self.kb_dir = folder / "kb"
        shutil.copytree(
            ROOT / "knowledge_base",
            self.kb_dir,
            ignore=shutil.ignore_patterns("__pycache__", "*.py", "history.jsonl", "drafts"),
        )
        self.feedback_url = f"sqlite:///{folder / 'feedback.db'}"  # the action server's (ActionServer's default)
        self.staff_url = f"sqlite:///{folder / 'staff.db'}"
        env = {"KB_DIR": str(self.kb_dir), "KB_ADMIN_TOKEN": API_TOKEN}
        self.actions = ActionServer(folder / "checklists.db", **env)
        self.rasa, self.rasa_url = start_rasa(self.actions.url, folder, **env)
        from domain_logic.staff.accounts import AccountStore
        from domain_logic.staff.database import StaffDatabase

        accounts = AccountStore(StaffDatabase(self.staff_url))
        for username, roles in ROLES.items():
            accounts.create(username, NAMES[username], PASSWORD, roles)
        accounts.db.engine.dispose()
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(folder / "console.log", "w")
        self.console = spawn(
            console_command(port),
            {
                **env,
                "STAFF_DB_URL": self.staff_url,
                "DATABASE_URL": self.feedback_url,
                "RASA_URL": self.rasa_url,
                "ACTIONS_URL": f"http://127.0.0.1:{self.actions.port}",
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for(f"{self.url}/healthz", timeout=60)

    def say(self, text: str) -> str:
        body = json.dumps({"sender": f"citizen-{uuid.uuid4().hex[:8]}", "message": text}).encode()
        request = urllib.request.Request(
            f"{self.rasa_url}/webhooks/rest/webhook", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return "\n".join(m.get("text", "") for m in json.loads(response.read()))

    def stop(self) -> None:
        self.console.terminate()
        self.console.wait(timeout=15)
        self.rasa.terminate()
        self.rasa.wait(timeout=30)
        self.actions.stop()
        self.log.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    running = Stack(tmp_path_factory.mktemp("console-live"))
    try:
        yield running
    finally:
        running.stop()
    assert "Traceback" not in (running.kb_dir.parent / "console.log").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the console tests need Debian's chromium (`make browser`).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def staff(browser, stack):
    """A fresh browser window per person: staff("editor") is a page signed in as the editor."""
    contexts = []

    def open_as(username: str, password: str = PASSWORD):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{stack.url}/")
        assert "/login" in page.url
        if username:
            sign_in(page, username, password)
        return page

    yield open_as
    for context in contexts:
        context.close()


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', password)
    with page.expect_navigation():  # the form's answer, signed in or refused, before anything is read
        page.click('button:has-text("登录")')


def flash(page) -> str:
    return page.locator(".flash").inner_text()


def test_login_a_wrong_password_and_a_lockout(staff):
    page = staff("")
    sign_in(page, "locked", "not the password")
    assert "用户名或密码不正确" in page.locator(".error").inner_text()
    for _ in range(4):
        sign_in(page, "locked", "not the password")
    assert "已暂时锁定" in page.locator(".error").inner_text()
    sign_in(page, "locked")  # the right password, while locked
    assert "已暂时锁定" in page.locator(".error").inner_text() and "/login" in page.url
    sign_in(page, "editor")
    assert page.locator(".who").inner_text().startswith("张三（编辑）")


@pytest.mark.parametrize("role", list(MENUS))
def test_each_role_sees_only_its_pages(staff, stack, role):
    page = staff(role)
    menu, refused = MENUS[role]
    assert page.locator(".topbar nav a").all_inner_texts() == menu
    response = page.goto(f"{stack.url}{refused}")
    assert response.status == 403 and "没有权限" in page.locator("h1").inner_text()


def test_an_editors_fee_change_is_published_by_a_reviewer_reaches_the_bot_and_is_reverted(staff, stack):
    assert "120元/本" in stack.say("办护照要多少钱")
    editor = staff("editor")
    editor.goto(f"{stack.url}/kb?q=护照")
    editor.click("text=passport")
    editor.click("text=编辑（保存为草稿）")
    editor.fill('input[name="fees.items[0].standard"]', "140元/本")
    editor.click('#entry-form .toolbar >> nth=0 >> button:has-text("预览群众看到的回答")')
    assert "普通护照证件费：140元/本" in editor.locator("#preview").inner_text()
    editor.click('#entry-form .toolbar >> nth=0 >> button:has-text("保存为草稿")')
    assert "需由另一位审核人员发布" in flash(editor)
    assert editor.locator('button:has-text("发布")').count() == 0  # the author has no publish button
    draft_url = editor.url
    assert "120元/本" in stack.say("办护照要多少钱")  # a draft changes nothing a citizen sees

    reviewer = staff("reviewer")
    reviewer.goto(draft_url)
    assert "普通护照证件费：140元/本" in reviewer.locator("#preview").inner_text()
    reviewer.click('button:has-text("发布")')
    assert "已发布" in flash(reviewer) and "运行中的助手已重新加载" in flash(reviewer)
    assert "140元/本" in stack.say("办护照要多少钱")
    today = datetime.now().strftime("%Y-%m-%d")
    assert f"（本指南于 {today} 复核）" in stack.say("办护照要带什么")

    reviewer.goto(f"{stack.url}/kb/entry/passport/history")
    assert "张三（审核发布：李四）" in reviewer.locator(".card").first.inner_text()
    reviewer.locator('button:has-text("撤销这次修改")').first.click()
    assert "已撤销该次修改" in flash(reviewer)
    assert "120元/本" in stack.say("办护照要多少钱")


def test_the_inbox_groups_two_similar_questions_into_an_alias_the_bot_then_recognises(staff, stack):
    from domain_logic.inbox.store import InboxStore

    assert "普通护照签发" not in stack.say("环球通行本怎么办")  # the bot logs it for the inbox itself
    inbox = InboxStore(stack.feedback_url)
    inbox.log_unanswered("环球通行本怎么办理", "nlu_fallback", None, "kiosk")
    inbox.engine.dispose()
    reviewer = staff("reviewer")
    reviewer.goto(f"{stack.url}/inbox")
    group = reviewer.locator(".group", has_text="环球通行本怎么办理")
    assert "· 2 条 ·" in group.locator("h2").inner_text()  # the citizen's question and a similar one
    reviewer.fill("#try input[name=text]", "环球通行本要带什么材料")
    reviewer.click('#try button:has-text("试一试")')
    assert reviewer.locator("#tried-intent").inner_text() != ""
    assert "普通护照签发" not in reviewer.locator("#tried-reply").inner_text()
    group = reviewer.locator(".group", has_text="环球通行本怎么办理")
    group.locator('select[name="item"]').select_option("passport")
    group.locator('input[name="text"]').fill("环球通行本")
    group.locator('button:has-text("加为别名")').click()
    assert "已给 passport 添加别名“环球通行本”" in flash(reviewer)
    assert reviewer.locator(".group", has_text="环球通行本").count() == 0  # the group left the inbox
    assert "普通护照签发" in stack.say("环球通行本要带什么材料")


def _seed_ratings(url: str) -> None:
    from domain_logic.feedback.store import FeedbackStore

    store = FeedbackStore(url)
    now = datetime.now()
    ratings = [
        (5, "kiosk", "passport"),
        (4, "telegram", "passport"),
        (5, "kiosk", "id-card-renewal"),
        (3, "kiosk", "housing-fund-withdrawal"),
        (4, "telegram", "social-security-card"),
        (2, "kiosk", "passport"),
        (5, "telegram", "id-card-renewal"),
        (1, "kiosk", "retirement"),
    ]
    for week in range(4):
        for n, (rating, channel, entry) in enumerate(ratings[week:] + ratings[:week]):
            if week and rating < 3:
                continue  # two 差评 cases in all, both this week's
            store.add_rating(
                entry_id=entry,
                rating=rating,
                channel=channel,
                sender_id=f"w{week}-{n}",
                dimension="办事效率" if rating < 3 else None,
                comment="窗口排队太久" if rating < 3 else None,
                now=now - timedelta(days=7 * week + 1),
            )
    store.engine.dispose()


def test_a_bad_rating_case_is_moved_and_closed_and_the_dashboard_is_drawn(staff, stack):
    _seed_ratings(stack.feedback_url)
    analyst = staff("analyst")
    analyst.goto(f"{stack.url}/feedback/cases")
    analyst.locator("#cases tbody tr", has_text="retirement").locator("a").first.click()
    for state, note in (("整改中", "已电话联系"), ("已整改", "窗口已加开"), ("已回访", "回访满意")):
        analyst.select_option('select[name="to"]', state)
        analyst.fill('input[name="note"]', note)
        analyst.click('button:has-text("提交")')
        assert f"已转为“{state}”" in flash(analyst)
    assert "已结案" in analyst.locator("main").inner_text()
    assert "整改中 王五 已电话联系" in analyst.locator("#history").inner_text()

    analyst.goto(f"{stack.url}/feedback")
    analyst.wait_for_function("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)")
    assert int(analyst.locator("#total").inner_text()) >= 26
    ARTIFACTS.mkdir(exist_ok=True)
    analyst.screenshot(path=str(ARTIFACTS / "console-dashboard.png"), full_page=False)
