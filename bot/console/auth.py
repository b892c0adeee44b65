"""Signing in and out. The only public pages; throttling and lockout are the account store's."""

from __future__ import annotations

from aiohttp import web

from bot.console import sessions
from bot.console.context import current_account, current_session, now, services
from bot.console.render import page
from bot.console.routes import RouteTable

routes = RouteTable()


def _next(request: web.Request, value: object) -> str:
    """Where to go after login: a path of this site only (never //evil.example)."""
    target = value if isinstance(value, str) else ""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@routes.get("/login", public=True)
async def login_form(request: web.Request) -> web.StreamResponse:
    if current_account(request) is not None:
        raise web.HTTPFound("/")
    expired = request.query.get("expired") == "1"
    response = web.Response()
    if current_session(request) is None:  # the form's CSRF token needs a session, signed in or not
        sessions.start(request, response, None)
    rendered = page(
        request,
        "login.html",
        title="登录",
        next=_next(request, request.query.get("next")),
        error="登录已超时，请重新登录。" if expired else "",
        username="",
    )
    rendered.cookies.update(response.cookies)
    return rendered


@routes.post("/login", public=True)
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    target = _next(request, form.get("next"))
    result = services(request).accounts.sign_in(username, password, request.remote or "unknown", now(request))
    if result.account is None:
        if result.locked_until:
            error = f"登录失败次数过多，已暂时锁定，请于 {result.locked_until:%H:%M} 后再试。"
        else:
            error = "用户名或密码不正确。"
        return page(
            request,
            "login.html",
            status=401 if not result.locked_until else 429,
            title="登录",
            next=target,
            error=error,
            username=username,
        )
    response = web.HTTPFound(target)
    sessions.start(request, response, result.account.id)  # a new id at login
    raise response


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    response = web.HTTPFound("/login")
    sessions.end(request, response)
    raise response
