"""The session cookie: a random id, HttpOnly and SameSite=Strict; the session itself is a row in the staff DB.

The middleware finds the request's session and account (a disabled account has none) before
any page runs; `start` gives a new session, at the login form and again at login.
"""

from __future__ import annotations

from typing import Optional

from aiohttp import web

from console.context import ACCOUNT, SESSION, now, services
from console.routes import Handler
from domain_logic.staff.sessions import Session

COOKIE = "zw_console"


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    found = services(request)
    session_id = request.cookies.get(COOKIE)
    session = found.sessions.get(session_id, now(request)) if session_id else None
    account = found.accounts.get(session.account_id) if session and session.account_id else None
    request[SESSION] = session
    request[ACCOUNT] = account if account is not None and not account.disabled else None
    return await handler(request)


def start(request: web.Request, response: web.StreamResponse, account_id: Optional[int]) -> Session:
    """End the request's session, if any, and start a new one on `response`'s cookie."""
    found = services(request)
    old: Optional[Session] = request.get(SESSION)
    if old is not None:
        found.sessions.end(old.id)
    session = found.sessions.start(account_id, now(request))
    response.set_cookie(
        COOKIE, session.id, httponly=True, samesite="Strict", path="/", secure=found.config.secure_cookie
    )
    request[SESSION] = session
    return session


def end(request: web.Request, response: web.StreamResponse) -> None:
    session: Optional[Session] = request.get(SESSION)
    if session is not None:
        services(request).sessions.end(session.id)
    response.del_cookie(COOKIE, path="/")
