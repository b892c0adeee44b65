"""The service-hall kiosk: a touch-screen web chat served on localhost.

    python -m relays.kiosk --port 8080      (make run starts it)

This thin backend serves the page and its local assets (no CDN) and relays
each message to the assistant's REST channel as channel "kiosk". The browser
keeps only a random session id, replaced when the screen resets after idling,
so the next citizen sees nothing of the last.

While a person helps the citizen (人工帮办, relays/human_help.py) the messages go to
the agent instead; the page then polls /api/poll every HANDOVER_POLL_SECONDS for the
agent's replies, and a reset takes the citizen out of the queue (/api/forget).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, cast

import segno
from aiohttp import web

from common.rasa_client import (
    BotMessage,
    RasaUnavailable,
    too_long_message,
)
from domain_logic.sheet_links.store import EXPIRED, OK, REVOKED, UNKNOWN, SheetLinks
from relays.base import Relay, Turn
from common.page_assets import add_asset_routes
from common import settings
from common.privacy import install_log_masking, mask_personal_data

log = logging.getLogger("kiosk")
STATIC = Path(__file__).with_name("kiosk_static")
SESSION_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")  # a sheet link's token (secrets.token_urlsafe)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
RELAY = "relay"
SHEETS = "sheet_links"
SETTINGS = "kiosk_settings"


@web.middleware
async def security_headers(request: web.Request, handler):
    response = await handler(request)
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _error(status: int, message: str, retry_after: int = 0) -> web.Response:
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return web.json_response({"error": message}, status=status, headers=headers)


class BadRequest(Exception):
    """A request the API refuses, with what to tell the citizen."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


async def _read_json(request: web.Request) -> Dict[str, Any]:
    try:
        body = await request.json()
    except web.HTTPRequestEntityTooLarge:  # over MAX_REQUEST_BYTES: only the text can be that long
        raise BadRequest(413, too_long_message()) from None
    except (ValueError, RecursionError):  # not UTF-8, not JSON, or nested deeper than the parser goes
        body = None
    if not isinstance(body, dict):
        raise BadRequest(400, "请求格式不正确。")
    return body


@web.middleware
async def bad_requests(request: web.Request, handler):
    try:
        return await handler(request)
    except BadRequest as refused:
        return _error(refused.status, refused.message)


def _session(body: Dict[str, Any]) -> Optional[str]:
    session = body.get("session")
    return session if isinstance(session, str) and SESSION_ID.match(session) else None


def _take_away(link: str) -> Optional[Dict[str, Any]]:
    """扫码带走: the QR code of a sheet's link (a checklist's, or a guide's), drawn by this server."""
    token = link.rsplit("/sheet/", 1)[-1] if "/sheet/" in link else ""
    return {"qr": f"/sheet/{token}/qr.svg", "days": settings.sheet_link_days()} if TOKEN.match(token) else None


def _as_json(reply: BotMessage) -> Dict[str, Any]:
    checklist = reply.custom.get("checklist") if isinstance(reply.custom.get("checklist"), dict) else None
    shared = checklist or reply.custom.get("take_away")
    link = str(shared.get("link") or "") if isinstance(shared, dict) else ""
    return {
        "text": reply.text,
        "from": reply.author,
        "buttons": [{"title": b.title, "payload": b.payload} for b in reply.buttons],
        "checklist": (
            {"title": str(checklist.get("verdict", "")), "html": str(checklist.get("html", ""))}
            if checklist and checklist.get("html")
            else None
        ),
        "takeAway": _take_away(link),
    }


@dataclass(frozen=True)
class Screen:
    """Where a kiosk reply goes: the page's conversation, and what the citizen typed on it."""

    sender: str
    said: str = ""


class KioskRelay(Relay[Screen, web.Response]):
    """The page's relay: each message is one HTTP request, and the reply its JSON response."""

    name = "kiosk"

    async def deliver(self, to: Screen, replies: List[BotMessage]) -> web.Response:
        """The messages, whether a person is involved now (the page polls while one is), and what the
        citizen said as the screen should show it: a shared screen shows a number masked."""
        state = await self.human.state(to.sender)
        return web.json_response(
            {"messages": [_as_json(r) for r in replies], "handover": state, "said": mask_personal_data(to.said)}
        )

    async def refuse(self, to: Screen, turn: Turn) -> web.Response:
        return _error(turn.status, turn.refusal or "", turn.retry_after or 0)


async def post_message(request: web.Request) -> web.Response:
    """{session, text} → {messages: [{text, from, buttons, checklist}], handover: waiting | with_agent | null, said}."""
    body = await _read_json(request)
    session, text = _session(body), body.get("text")
    if session is None:
        return _error(400, "会话已失效，请刷新页面。")
    if not isinstance(text, str):
        text = ""
    sender = f"kiosk-{session}"
    return await request.app[RELAY].relay(sender, text, Screen(sender, text))


async def post_poll(request: web.Request) -> web.Response:
    """{session} → the agent's new replies (and the assistant's word when the help ended), as post_message."""
    session = _session(await _read_json(request))
    if session is None:
        return _error(400, "会话已失效，请刷新页面。")
    sender, relay = f"kiosk-{session}", request.app[RELAY]
    return await relay.deliver(Screen(sender), await relay.human.news(sender))


async def post_forget(request: web.Request) -> web.Response:
    """The screen was reset: the citizen leaves the queue, and the conversation ends in the assistant too."""
    session = _session(await _read_json(request))
    if session is None:
        return _error(400, "会话已失效。")
    relay = request.app[RELAY]
    await relay.human.leave(f"kiosk-{session}")
    try:
        await relay.rasa.forget(f"kiosk-{session}")
    except RasaUnavailable:
        pass  # the new session id already keeps the next citizen apart
    return web.json_response({"ok": True})


async def get_config(request: web.Request) -> web.Response:
    return web.json_response(request.app[SETTINGS])


GONE = {
    EXPIRED: "这份清单的链接已过期。",
    REVOKED: "这份清单的链接已被工作人员撤销。",
    UNKNOWN: "没有找到这份清单。",
}


def _notice(status: int, words: str) -> web.Response:
    page = (
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>一次性告知单</title>'
        f'<body style="font: 20px/1.6 sans-serif; margin: 2em"><p>{words}</p>'
        "<p>请在服务大厅的自助屏、公众号或 Telegram 上重新核对材料，生成新的清单；"
        "也可拨打 12345 政务服务便民热线咨询。</p></body></html>"
    )
    return web.Response(status=status, text=page, content_type="text/html")


async def get_sheet(request: web.Request) -> web.Response:
    """扫码带走: the citizen's 一次性告知单 on their phone, for as long as its link lives."""
    found = await asyncio.to_thread(request.app[SHEETS].find, request.match_info["token"])
    if found.status != OK:
        return _notice(410 if found.status in (EXPIRED, REVOKED) else 404, GONE[found.status])
    return web.Response(text=found.page, content_type="text/html")


async def get_sheet_qr(request: web.Request) -> web.Response:
    """The QR code of a sheet's link, drawn here (segno), for the citizen to scan at the kiosk."""
    token = request.match_info["token"]
    found = await asyncio.to_thread(request.app[SHEETS].find, token)
    if found.status != OK:
        raise web.HTTPNotFound()
    drawing = io.BytesIO()
    segno.make(f"{settings.public_url()}/sheet/{token}", error="m").save(drawing, kind="svg", scale=6, border=2)
    return web.Response(body=drawing.getvalue(), content_type="image/svg+xml")


async def get_index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


def build_app(rasa_url: str, idle_seconds: int = 120, countdown_seconds: int = 15) -> web.Application:
    app = web.Application(middlewares=[security_headers, bad_requests], client_max_size=settings.max_request_bytes())
    app[RELAY] = KioskRelay(rasa_url)
    app[SHEETS] = SheetLinks()
    app[SETTINGS] = {
        "idleSeconds": idle_seconds,
        "countdownSeconds": countdown_seconds,
        "pollSeconds": settings.handover_poll_seconds(),
    }
    app.router.add_get("/", get_index)
    app.router.add_get("/config.json", get_config)
    add_asset_routes(app, "/fonts/kiosk.ttc")
    app.router.add_post("/api/message", post_message)
    app.router.add_post("/api/poll", post_poll)
    app.router.add_post("/api/forget", post_forget)
    app.router.add_get("/sheet/{token}", get_sheet)
    app.router.add_get("/sheet/{token}/qr.svg", get_sheet_qr)
    app.router.add_static("/static/", STATIC)

    async def close_client(app: web.Application) -> None:
        await app[RELAY].close()

    # aiohttp 3.9 annotates its signals for aiosignal < 1.4, whose Signal took the callback type as parameter.
    app.on_cleanup.append(cast(Any, close_client))
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description="政务服务助手 kiosk web chat")
    parser.add_argument("--host", default=settings.kiosk_host())
    parser.add_argument("--port", type=int, default=settings.kiosk_port())
    parser.add_argument("--rasa-url", default=settings.rasa_url())
    parser.add_argument("--idle-seconds", type=int, default=settings.kiosk_idle_seconds())
    parser.add_argument("--countdown-seconds", type=int, default=settings.kiosk_countdown_seconds())
    args = parser.parse_args()
    install_log_masking()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = build_app(args.rasa_url, args.idle_seconds, args.countdown_seconds)
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
