"""Callback tickets (回电): citizens no agent could take — outside staffed hours or after the wait ran out —
who agreed to leave a number. An agent calls back and marks the ticket done with what came of it.
The number is shown masked, as everywhere (the ticket keeps it for the call)."""

from __future__ import annotations

from typing import Any, Dict

from aiohttp import web

from console.context import services, signed_in
from console.handover_view import REASONS, clock
from console.render import page, redirect
from console.routes import RouteTable
from domain_logic.handover.store import CALLBACK_DONE, CALLBACK_OPEN, Callback
from common.channels import label

routes = RouteTable()
RECENTLY_DONE = 20


def _view(request: web.Request, c: Callback) -> Dict[str, Any]:
    summary = c.summary or {}
    return {
        "id": c.id,
        "phone": c.masked_phone,
        "channel": label(c.channel),
        "reason": REASONS.get(c.reason, c.reason),
        "at": clock(request, c.created_at, with_date=True),
        "service": summary.get("service"),
        "checklist": summary.get("checklist"),
        "recent": summary.get("recent") or [],
        "done_at": clock(request, c.done_at, with_date=True) if c.done_at else None,
        "done_by": c.done_by,
        "note": c.note,
    }


@routes.get("/agent/callbacks", "agent", nav="回电")
async def callbacks(request: web.Request) -> web.StreamResponse:
    store = services(request).handover
    return page(
        request,
        "handover_callbacks.html",
        title="回电",
        open=[_view(request, c) for c in store.callbacks(CALLBACK_OPEN)],
        done=[_view(request, c) for c in store.callbacks(CALLBACK_DONE, limit=RECENTLY_DONE)],
    )


@routes.post(r"/agent/callbacks/{id:\d+}/done", "agent")
async def done(request: web.Request) -> web.StreamResponse:
    note = str((await request.post()).get("note") or "").strip()
    if not note:
        raise redirect(request, "/agent/callbacks", "请写明回电结果（例如：已回电，问题已解答）。")
    account = signed_in(request)
    closed = services(request).handover.close_callback(
        int(request.match_info["id"]), f"{account.display_name}（{account.username}）", note
    )
    raise redirect(request, "/agent/callbacks", "已标记为完成。" if closed else "这条回电已经处理过了。")
