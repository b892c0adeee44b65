"""The console in process, for server tests: an app on a test server, a client that signs in as a browser does."""

from __future__ import annotations

import re
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import AsyncIterator, Iterable, Optional

import aiohttp
from aiohttp.test_utils import TestClient, TestServer

from console.app import create_app
from console.context import SERVICES, ConsoleConfig
from domain_logic.staff.accounts import AccountStore

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Clock:
    """A clock the test moves: idle expiry and lockouts without waiting."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def config(tmp: Path, **overrides) -> ConsoleConfig:
    base = ConsoleConfig(
        staff_db_url=f"sqlite:///{tmp / 'staff.db'}",
        feedback_db_url=f"sqlite:///{tmp / 'feedback.db'}",
        kb_dir=tmp / "kb",
        rasa_url="http://127.0.0.1:9",
        actions_url="http://127.0.0.1:9",
    )
    return replace(base, **overrides)


class Browser:
    """A signed-out browser on the console: it keeps its cookie and sends the page's CSRF token with a form."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))  # a cookie jar of its own
        client.browsers.append(self)  # type: ignore[attr-defined]
        self.token = ""

    def cookie(self) -> str:
        return self.http.cookie_jar.filter_cookies(self.client.make_url("/"))["zw_console"].value

    async def get(self, path: str, **kw):
        response = await self.http.get(
            self.client.make_url(path), allow_redirects=kw.pop("allow_redirects", False), **kw
        )
        body = await response.text()
        found = CSRF.search(body)
        if found:
            self.token = found.group(1)
        response.body_text = body  # type: ignore[attr-defined]
        return response

    async def post(self, path: str, data=None, csrf: Optional[str] = None, **kw):
        """A form: a dict, or a list of (name, value) for a field given more than once."""
        fields = list(data.items()) if isinstance(data, dict) else list(data or [])
        fields.append(("csrf_token", self.token if csrf is None else csrf))
        response = await self.http.post(self.client.make_url(path), data=fields, allow_redirects=False, **kw)
        response.body_text = await response.text()  # type: ignore[attr-defined]
        return response

    async def login(self, username: str, password: str = PASSWORD):
        await self.get("/login")
        response = await self.post("/login", {"username": username, "password": password})
        if response.status == 302:
            await self.get(response.headers["Location"])
        return response


@asynccontextmanager
async def console(cfg: ConsoleConfig, accounts: Iterable[tuple] = ()) -> AsyncIterator[TestClient]:
    """The app on a test server; `accounts`: (username, display name, roles) with PASSWORD."""
    app = create_app(cfg)
    store: AccountStore = app[SERVICES].accounts
    for username, display, roles in accounts:
        store.create(username, display, PASSWORD, roles)
    client = TestClient(TestServer(app, host="127.0.0.1"))
    client.browsers = []  # type: ignore[attr-defined]
    await client.start_server()
    try:
        yield client
    finally:
        for browser in client.browsers:  # type: ignore[attr-defined]
            await browser.http.close()
        await client.close()
        app[SERVICES].close()


def kb_copy(tmp: Path) -> Path:
    """A copy of the knowledge base to change (no history, no drafts), as tests/knowledge_base/test_kb_live.py does."""
    import shutil

    from helpers import ROOT

    target = tmp / "kb"
    shutil.copytree(
        ROOT / "knowledge_base", target, ignore=shutil.ignore_patterns("__pycache__", "*.py", "history.jsonl", "drafts")
    )
    return target


def submitted(fields, out=None) -> list:
    """What a browser sends for the entry form as rendered (schema_form.build), untouched."""
    out = [] if out is None else out
    for f in fields:
        if f.kind == "object":
            submitted(f.children, out)
        elif f.kind == "table":
            out.append((f.path + "#rows", str(len(f.rows))))
            for row in f.rows:
                submitted(row, out)
        elif f.kind == "multi":
            out.extend((f.path, v) for v in (f.value or []))
        elif f.kind != "fixed":
            out.append((f.path, f.text()))
    return out


def with_field(form: list, name: str, value: str) -> list:
    return [(k, value if k == name else v) for k, v in form]
