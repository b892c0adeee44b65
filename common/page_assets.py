"""What every page the project serves needs beside itself, one copy for the kiosk and the console:
the Chinese font served locally (no download from a CDN) and the health check a load balancer polls."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from aiohttp import web

# Debian's fonts-wqy-microhei (installed by `make fonts`).
FONT_FILES = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),)


async def serve_font(request: web.Request) -> web.StreamResponse:
    for font in FONT_FILES:
        if font.exists():
            return web.FileResponse(
                font, headers={"Content-Type": "font/collection", "Cache-Control": "public, max-age=86400"}
            )
    raise web.HTTPNotFound()  # the page falls back to the system's fonts


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


def add_asset_routes(app: web.Application, font_path: Optional[str] = None) -> None:
    """/healthz, and the font at `font_path` (the page's stylesheet names it) for a server with pages."""
    app.router.add_get("/healthz", health)
    if font_path:
        app.router.add_get(font_path, serve_font)
