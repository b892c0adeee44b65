"""The console's doors: nothing without a session, no POST without its CSRF token, each role only its
pages, wrong passwords refused, and a lockout after too many."""

from __future__ import annotations

import asyncio
import subprocess
import sys

import pytest

from console.app import create_app
from console.context import SERVICES
from console.routes import Page, RouteTable
from console_helpers import PASSWORD, Browser, Clock, config, console
from domain_logic.staff.accounts import AccountStore
from domain_logic.staff.database import StaffDatabase
from helpers import ROOT

STAFF = [
    ("admin", "管理员甲", ["admin"]),
    ("editor", "张三", ["editor"]),
    ("reviewer", "李四", ["reviewer"]),
    ("analyst", "王五", ["analyst"]),
    ("agent", "赵六", ["agent"]),
    ("both", "钱七", ["editor", "analyst"]),
]


def run(coro):
    return asyncio.run(coro)


def test_every_console_route_without_a_session_is_refused(tmp_path):
    async def scenario():
        async with console(config(tmp_path), STAFF) as client:
            routes = [
                (r.method, r.resource.canonical)
                for r in client.app.router.routes()
                if r.resource is not None and r.method != "HEAD"
            ]
            open_to_all = {("GET", "/login"), ("POST", "/login"), ("GET", "/healthz"), ("GET", "/fonts/console.ttc")}
            checked = 0
            for method, path in routes:
                if (method, path) in open_to_all or path.startswith("/static"):
                    continue
                url = (
                    path.replace("{id}", "1")
                    .replace("{entry}", "passport")
                    .replace("{case}", "1")
                    .replace("{name}", "x")
                    .replace("{draft}", "1")
                    .replace("{record}", "0")
                )
                response = await Browser(client).http.request(method, client.make_url(url), allow_redirects=False)
                assert response.status in (302, 401, 403), f"{method} {url}: {response.status}"
                if response.status == 302:
                    assert response.headers["Location"].startswith("/login?next=")
                checked += 1
            assert checked >= 6

    run(scenario())


def test_a_page_that_names_no_roles_is_refused_by_the_app_factory(tmp_path):
    from aiohttp import web

    table = RouteTable()

    async def naked(request):
        return web.Response(text="open")

    table.pages.append(Page("GET", "/naked", naked, frozenset()))  # not through table.get(): no roles checked
    with pytest.raises(RuntimeError, match="must come from RouteTable"):
        create_app(config(tmp_path), pages=[table])


def test_login_sets_a_strict_http_only_cookie_and_a_new_session_id(tmp_path):
    async def scenario():
        async with console(config(tmp_path), STAFF) as client:
            browser = Browser(client)
            await browser.get("/login")
            before = browser.cookie()
            response = await browser.post("/login", {"username": "editor", "password": PASSWORD})
            assert response.status == 302
            cookie = response.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
            after = browser.cookie()
            assert after != before
            home = await browser.get("/")
            assert home.status == 200 and "张三" in home.body_text
            assert "default-src 'self'" in home.headers["Content-Security-Policy"]

    run(scenario())


def test_a_post_without_a_valid_csrf_token_is_refused(tmp_path):
    async def scenario():
        async with console(config(tmp_path), STAFF) as client:
            browser = Browser(client)
            await browser.login("admin")
            new = {"username": "sneaky", "display_name": "某人", "password": PASSWORD, "roles": "editor"}
            assert (await browser.post("/accounts", new, csrf="")).status == 403
            assert (await browser.post("/accounts", new, csrf="forged-token")).status == 403
            assert (await browser.post("/logout", csrf="")).status == 403
            # the login form too: a login planted from another site is refused
            assert (await Browser(client).post("/login", {"username": "admin", "password": PASSWORD})).status == 403
            store = client.app[SERVICES].accounts
            assert store.by_username("sneaky") is None
            assert (await browser.post("/accounts", new)).status == 302  # with the token it works
            assert store.by_username("sneaky") is not None

    run(scenario())


@pytest.mark.parametrize(
    "who,allowed,refused",
    [
        ("editor", [], ["/accounts", "/agent"]),
        ("agent", ["/agent"], ["/accounts"]),
        ("admin", ["/accounts"], ["/agent"]),
    ],
)
def test_a_role_is_refused_another_roles_pages(tmp_path, who, allowed, refused):
    async def scenario():
        async with console(config(tmp_path), STAFF) as client:
            browser = Browser(client)
            await browser.login(who)
            home = await browser.get("/")
            for path in allowed:
                assert (await browser.get(path)).status == 200
                assert f'href="{path}"' in home.body_text
            for path in refused:
                response = await browser.get(path)
                assert response.status == 403 and "没有权限" in response.body_text
                assert f'href="{path}"' not in home.body_text
            if who != "admin":
                response = await browser.post(
                    "/accounts", {"username": "x1", "display_name": "x", "password": PASSWORD, "roles": "admin"}
                )
                assert response.status == 403

    run(scenario())


def test_a_wrong_password_is_refused_and_five_lock_the_account_for_fifteen_minutes(tmp_path):
    clock = Clock()

    async def scenario():
        async with console(config(tmp_path, clock=clock), STAFF) as client:
            browser = Browser(client)
            response = await browser.login("editor", "wrong password!")
            assert response.status == 401 and "用户名或密码不正确" in response.body_text
            for _ in range(4):
                await browser.login("editor", "wrong password!")
            response = await browser.login("editor")  # the right password, but locked
            assert response.status == 429 and "已暂时锁定" in response.body_text and "09:15" in response.body_text
            assert (await browser.get("/")).status == 302
            assert (await Browser(client).login("reviewer")).status == 302  # another account is not locked
            clock.advance(minutes=15, seconds=1)
            assert (await browser.login("editor")).status == 302

    run(scenario())


def test_many_failures_from_one_address_lock_the_address(tmp_path):
    async def scenario():
        async with console(config(tmp_path), STAFF) as client:
            browser = Browser(client)
            for n in range(20):  # spread over names, none reaching the account limit
                await browser.login(f"guess{n % 10}", "wrong password!")
            response = await browser.login("analyst")
            assert response.status == 429

    run(scenario())


def test_a_session_ends_after_idle_minutes_and_on_logout(tmp_path):
    clock = Clock()

    async def scenario():
        async with console(config(tmp_path, clock=clock), STAFF) as client:
            browser = Browser(client)
            await browser.login("agent")
            clock.advance(minutes=29)
            assert (await browser.get("/agent")).status == 200
            clock.advance(minutes=29)
            assert (await browser.get("/agent")).status == 200  # each request restarts the idle clock
            clock.advance(minutes=31)
            assert (await browser.get("/agent")).status == 302
            await browser.login("agent")
            assert (await browser.post("/logout")).status == 302
            assert (await browser.get("/agent")).status == 302

    run(scenario())


def test_admin_creates_resets_and_disables_accounts(tmp_path):
    async def scenario():
        async with console(config(tmp_path), STAFF) as client:
            admin = Browser(client)
            await admin.login("admin")
            response = await admin.post(
                "/accounts", {"username": "sun", "display_name": "孙八", "password": "short", "roles": "editor"}
            )
            assert response.status == 400 and "密码至少 10 个字符" in response.body_text
            response = await admin.post(
                "/accounts",
                [
                    ("username", "sun"),
                    ("display_name", "孙八"),
                    ("password", PASSWORD),
                    ("roles", "editor"),
                    ("roles", "reviewer"),
                ],
            )
            assert response.status == 302
            page = await admin.get("/accounts")
            assert "孙八" in page.body_text and "已创建账号 sun（编辑、审核）" in page.body_text
            sun = Browser(client)
            assert (await sun.login("sun")).status == 302
            account_id = client.app[SERVICES].accounts.by_username("sun").id
            await admin.post(f"/accounts/{account_id}/password", {"password": "a new password 2"})
            assert (await sun.get("/")).status == 302  # the reset ended sun's session
            assert (await sun.login("sun")).status == 401
            assert (await sun.login("sun", "a new password 2")).status == 302
            await admin.post(f"/accounts/{account_id}/disable", {"disabled": "1"})
            assert (await sun.get("/")).status == 302
            assert (await sun.login("sun", "a new password 2")).status == 401

    run(scenario())


def test_passwords_are_stored_as_argon2_hashes(tmp_path):
    db = StaffDatabase(f"sqlite:///{tmp_path / 'staff.db'}")
    AccountStore(db).create("hash", "某", PASSWORD, ["editor"])
    with db.engine.connect() as conn:
        stored = conn.exec_driver_sql("select password_hash from staff_accounts").scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_create_admin_from_the_command_line(tmp_path):
    env = {"STAFF_DB_URL": f"sqlite:///{tmp_path / 'staff.db'}", "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "console"]
    hint = subprocess.run(command + ["hint"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert "create-admin" in hint.stdout
    made = subprocess.run(
        command + ["create-admin", "chief", "--display-name", "周九", "--password-stdin"],
        cwd=ROOT,
        env=env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    account = AccountStore(StaffDatabase(env["STAFF_DB_URL"])).by_username("chief")
    assert account is not None and account.roles == {"admin"} and account.display_name == "周九"
    hint = subprocess.run(command + ["hint"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert "create-admin" not in hint.stdout and "http://127.0.0.1:8090/" in hint.stdout


def test_staff_change_their_own_password_after_giving_the_current_one(tmp_path):
    async def scenario():
        async with console(config(tmp_path), STAFF) as client:
            editor, elsewhere = Browser(client), Browser(client)
            await editor.login("editor")
            await elsewhere.login("editor")
            assert "修改密码" in (await editor.get("/password")).body_text
            new = {"current": PASSWORD, "new": "another passphrase 7", "repeat": "another passphrase 7"}
            wrong = await editor.post("/password", {**new, "current": "not my password"})
            assert wrong.status == 400 and "当前密码不正确" in wrong.body_text
            mismatch = await editor.post("/password", {**new, "repeat": "another passphrase 8"})
            assert mismatch.status == 400 and "两次输入的新密码不一致" in mismatch.body_text
            short = await editor.post("/password", {**new, "new": "short", "repeat": "short"})
            assert short.status == 400 and "密码至少 10 个字符" in short.body_text
            assert (await editor.get("/")).status == 200  # nothing changed so far
            changed = await editor.post("/password", new)
            assert changed.status == 302 and changed.headers["Location"] == "/login?changed=1"
            assert "密码已修改，请用新密码登录" in (await editor.get("/login?changed=1")).body_text
            assert (await elsewhere.get("/")).status == 302  # every session of the account ended
            assert (await editor.login("editor")).status == 401  # the old password no longer works
            assert (await editor.login("editor", "another passphrase 7")).status == 302

    run(scenario())


def test_wrong_current_passwords_count_towards_the_lockout(tmp_path):
    async def scenario():
        async with console(config(tmp_path), STAFF) as client:
            agent = Browser(client)
            await agent.login("agent")
            for _ in range(5):
                await agent.post("/password", {"current": "guess guess", "new": "x" * 12, "repeat": "x" * 12})
            locked = await agent.post("/password", {"current": PASSWORD, "new": "y" * 12, "repeat": "y" * 12})
            assert locked.status == 400 and "已暂时锁定" in locked.body_text
            assert (await Browser(client).login("agent")).status == 429

    run(scenario())
