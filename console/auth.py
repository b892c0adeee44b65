"""Signing in and out. The only public pages; throttling and lockout are the account store's."""

from __future__ import annotations

from aiohttp import web

from console import sessions
from console.context import current_account, current_session, now, services, signed_in
from console.render import page
from console.routes import RouteTable
from domain_logic.staff.accounts import AccountError

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
    notice = "密码已修改，请用新密码登录。" if request.query.get("changed") == "1" else ""
    response = web.Response()
    if current_session(request) is None:  # the form's CSRF token needs a session, signed in or not
        sessions.start(request, response, None)
    rendered = page(
        request,
        "login.html",
        title="登录",
        next=_next(request, request.query.get("next")),
        error="登录已超时，请重新登录。" if expired else "",
        notice=notice,
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
            notice="",
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


@routes.get("/password")
async def password_form(request: web.Request) -> web.StreamResponse:
    return page(request, "password.html", title="修改密码", error="")


@routes.post("/password")
async def change_password(request: web.Request) -> web.StreamResponse:
    """Any signed-in staff member, for their own account. Every session of the account ends, this one
    too: the new password is proved by signing in with it."""
    form = await request.post()
    current, new = str(form.get("current", "")), str(form.get("new", ""))
    error = "两次输入的新密码不一致" if new != str(form.get("repeat", "")) else ""
    if not error:
        try:
            services(request).accounts.change_own_password(
                signed_in(request).id, current, new, request.remote or "unknown", now(request)
            )
        except AccountError as exc:
            error = str(exc)
    if error:
        return page(request, "password.html", status=400, title="修改密码", error=f"密码未修改：{error}。")
    response = web.HTTPFound("/login?changed=1")
    sessions.end(request, response)
    raise response
