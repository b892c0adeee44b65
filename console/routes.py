"""The console's route table: every page says who may use it, and nothing is reachable otherwise.

    routes = RouteTable()

    @routes.get("/kb", "editor", "reviewer", nav="知识库")
    async def kb_list(request): ...

A page needs a signed-in account holding at least one of the roles named (no roles named:
any signed-in account); `public=True` is only for the login page. The check is in the handler
itself (requires), so it holds however the route is reached, and create_app refuses a route
that did not come from a RouteTable (tests/console/test_console_auth.py tries every route).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Awaitable, Callable, FrozenSet, List, Optional
from urllib.parse import quote

from aiohttp import web

from console.context import current_account

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
GUARDED = "console_roles"  # the attribute requires() leaves on a handler: its roles


@dataclass(frozen=True)
class Page:
    method: str
    path: str
    handler: Handler
    roles: FrozenSet[str]
    public: bool = False
    nav: Optional[str] = None


def to_login(request: web.Request) -> web.HTTPException:
    """No session: a page is sent to the login page (and back after), anything else refused."""
    if request.method == "GET":
        return web.HTTPFound(f"/login?next={quote(request.path_qs, safe='/')}")
    return web.HTTPUnauthorized(text="请先登录。")


def requires(*roles: str) -> Callable[[Handler], Handler]:
    """The handler runs only for a signed-in account holding one of `roles` (any account if none are named)."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            account = current_account(request)
            if account is None:
                raise to_login(request)
            if roles and not account.may(*roles):
                from console.render import forbidden

                return forbidden(request)
            return await handler(request)

        setattr(guarded, GUARDED, frozenset(roles))
        return guarded

    return wrap


class RouteTable:
    def __init__(self) -> None:
        self.pages: List[Page] = []

    def _add(
        self, method: str, path: str, roles: tuple, nav: Optional[str], public: bool
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            guarded = handler if public else requires(*roles)(handler)
            if public:
                setattr(guarded, GUARDED, None)
            self.pages.append(Page(method, path, guarded, frozenset(roles), public, nav))
            return guarded

        return register

    def get(
        self, path: str, *roles: str, nav: Optional[str] = None, public: bool = False
    ) -> Callable[[Handler], Handler]:
        return self._add("GET", path, roles, nav, public)

    def post(self, path: str, *roles: str, public: bool = False) -> Callable[[Handler], Handler]:
        return self._add("POST", path, roles, None, public)
