"""Pages are Jinja2 templates (console/templates/), autoescaped: every value is text, never HTML.

Every citizen's text goes through the `citizen` filter (common.privacy.mask_personal_data),
as the kiosk, the logs and the stores mask it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from console.context import current_account, current_session, services
from common.privacy import mask_personal_data

TEMPLATES = Path(__file__).with_name("templates")
_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
# A value shown as JSON (a draft's diff, an import conflict) keeps its Chinese readable; still HTML-safe.
_ENV.policies["json.dumps_kwargs"] = {"sort_keys": True, "ensure_ascii": False}
_ENV.filters["citizen"] = lambda text: mask_personal_data(str(text)) if text is not None else ""


def page(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    """A whole page: the template with who is signed in, their menu, the CSRF token and any flash message."""
    session = current_session(request)
    account = current_account(request)
    nav = services(request).nav_for(account)
    here = [href for _, href in nav if request.path == href or request.path.startswith(href + "/")]
    html = _ENV.get_template(template).render(
        account=account,
        nav=nav,
        path=request.path,
        current=max(here, key=len, default=""),
        csrf_token=session.csrf_token if session else "",
        flash=session.flash if session else None,
        **context,
    )
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def forbidden(request: web.Request) -> web.Response:
    return page(request, "forbidden.html", status=403, title="没有权限")


def redirect(request: web.Request, location: str, message: str = "") -> web.HTTPFound:
    """After a POST: back to a page, with a message shown once there."""
    session = current_session(request)
    if message and session is not None:
        services(request).sessions.flash(session.id, message)
    return web.HTTPFound(location)
