"""The console's aiohttp app: `create_app(config)` for `python -m console serve` and the tests.

Middlewares, outermost first: security headers, the session (who is signed in), CSRF (every
POST). Pages come from the route tables in PAGES; a route from anywhere else is refused here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from aiohttp import web

from console import auth
from console.context import SERVICES, ConsoleConfig, NavLink, Services
from console.csrf import csrf_middleware
from console.headers import security_headers
from console.pages import accounts, callbacks, feedback, freshness, handover, home, imports, inbox, kb
from console.routes import GUARDED, RouteTable
from console.sessions import session_middleware
from common.page_assets import add_asset_routes

STATIC = Path(__file__).with_name("static")
# Every area of the console; the menu follows this order.
PAGES: Sequence[RouteTable] = (
    auth.routes,
    home.routes,
    handover.routes,
    callbacks.routes,
    kb.routes,
    freshness.routes,
    imports.routes,
    inbox.routes,
    feedback.routes,
    accounts.routes,
)


MAX_FORM_BYTES = 1024 * 1024  # any form
MAX_UPLOAD_BYTES = 32 * 1024 * 1024  # a region's 事项清单 export (导入): 2,262 records are 2.5 MB
UPLOADS = ("/kb/import/check",)  # the one form that carries a file


@web.middleware
async def upload_limit(request: web.Request, handler):
    """The export's upload may be large; every other request keeps the small limit, before sign-in too."""
    if request.method == "POST" and request.path in UPLOADS:
        request = request.clone(client_max_size=MAX_UPLOAD_BYTES)
    return await handler(request)


ASSETS = ("/static/", "/fonts/console.ttc", "/healthz")  # public, and no page: what the login form itself needs


def create_app(config: Optional[ConsoleConfig] = None, pages: Sequence[RouteTable] = PAGES) -> web.Application:
    config = config or ConsoleConfig.from_settings()
    app = web.Application(
        middlewares=[upload_limit, security_headers, session_middleware, csrf_middleware],
        client_max_size=MAX_FORM_BYTES,
    )
    found = Services.build(config)
    app[SERVICES] = found
    for table in pages:
        for p in table.pages:
            if not hasattr(p.handler, GUARDED):
                raise RuntimeError(f"{p.method} {p.path}: a console page must come from RouteTable (roles or public)")
            app.router.add_route(p.method, p.path, p.handler)
            if p.nav:
                found.nav.append(NavLink(p.nav, p.path, p.roles))
    add_asset_routes(app, "/fonts/console.ttc")
    app.router.add_static("/static/", STATIC)
    return app
