"""CSRF: a synchronizer token per session, in a hidden field of every form, checked on every POST.

Checked here for every state-changing request before any page runs, so no page can forget it.
(SameSite=Strict on the cookie is a second line, not the only one.)
"""

from __future__ import annotations

import hmac

from aiohttp import web

from console.context import current_session
from console.routes import Handler

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
SAFE = ("GET", "HEAD", "OPTIONS")


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in SAFE:
        return await handler(request)
    session = current_session(request)
    sent = request.headers.get(HEADER)
    if sent is None and request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    if session is None or not sent or not hmac.compare_digest(sent, session.csrf_token):
        return web.Response(
            status=403,
            text="表单已失效（CSRF 校验未通过），请返回上一页刷新后重试。",
            content_type="text/plain",
            charset="utf-8",
        )
    return await handler(request)
