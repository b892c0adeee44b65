"""The first page after login: the areas this account may use."""

from __future__ import annotations

from aiohttp import web

from console.context import services, signed_in
from console.render import page
from console.routes import RouteTable

routes = RouteTable()


@routes.get("/")
async def home(request: web.Request) -> web.StreamResponse:
    account = signed_in(request)
    return page(request, "home.html", title="首页", areas=services(request).nav_for(account))
