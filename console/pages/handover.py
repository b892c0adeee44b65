"""坐席's pages (人工帮办): the queue, one conversation with its reply box and 交还助手, the figures.

An agent takes a waiting citizen (one agent wins), replies — the citizen's channel shows the
reply (relays/human_help.py) — and hands them back to the assistant, which goes on where
it was. The conversation page asks every few seconds for new messages (static/handover.js).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any, Dict, Optional
from zoneinfo import ZoneInfo

from aiohttp import web

from console.context import services, signed_in
from console.handover_view import message_view, message_views, seconds, ticket_view
from console.render import forbidden, page, redirect
from console.routes import RouteTable
from domain_logic.handover.store import ANSWER_TARGET_SECONDS, OPEN, WAITING, WITH_AGENT, Figures, HandoverStore, Ticket

routes = RouteTable()


def _store(request: web.Request) -> HandoverStore:
    """The store, with waits past the timeout ended first (the channels end them too, whoever looks first)."""
    found = services(request)
    found.handover.expire_overdue(found.config.handover_timeout_seconds)
    return found.handover


def _ticket(request: web.Request) -> Ticket:
    try:
        ticket = services(request).handover.get(int(request.match_info["id"]))
    except ValueError:
        ticket = None
    if ticket is None:
        raise web.HTTPNotFound(text="没有这个会话。")
    return ticket


def _mine(request: web.Request, ticket: Ticket) -> bool:
    return ticket.state == WITH_AGENT and ticket.agent == signed_in(request).username


@routes.get("/agent", "agent", nav="人工服务")
async def queue(request: web.Request) -> web.StreamResponse:
    store, now = _store(request), time.time()
    me = signed_in(request).username
    open_tickets = store.tickets(OPEN)
    return page(
        request,
        "handover_queue.html",
        title="人工服务",
        waiting=[ticket_view(request, t, now) for t in open_tickets if t.state == WAITING],
        mine=[ticket_view(request, t, now) for t in open_tickets if t.state == WITH_AGENT and t.agent == me],
        version=",".join(f"{t.id}:{t.state}" for t in open_tickets),
    )


@routes.get("/agent/queue.json", "agent")
async def queue_version(request: web.Request) -> web.StreamResponse:
    """What the queue page compares to know it should show itself afresh."""
    return web.json_response({"version": ",".join(f"{t.id}:{t.state}" for t in _store(request).tickets(OPEN))})


@routes.post(r"/agent/{id:\d+}/take", "agent")
async def take(request: web.Request) -> web.StreamResponse:
    ticket = _ticket(request)
    if not services(request).handover.take(ticket.id, signed_in(request).username):
        raise redirect(request, "/agent", "没能接入：这位群众已由其他工作人员接入，或已离开、已超时。")
    raise redirect(request, f"/agent/{ticket.id}", "已接入，请回复群众。")


@routes.get(r"/agent/{id:\d+}", "agent")
async def conversation(request: web.Request) -> web.StreamResponse:
    _store(request)
    ticket = _ticket(request)
    messages = services(request).handover.messages(ticket.id)
    return page(
        request,
        "handover_conversation.html",
        title=f"人工服务 · 会话 {ticket.id}",
        ticket=ticket_view(request, ticket, time.time()),
        mine=_mine(request, ticket),
        messages=message_views(request, messages),
        last_id=messages[-1].id if messages else 0,
    )


@routes.get(r"/agent/{id:\d+}/messages", "agent")
async def new_messages(request: web.Request) -> web.StreamResponse:
    """{messages after ?after=, state}: what static/handover.js adds to the page."""
    _store(request)
    ticket = _ticket(request)
    try:
        after = int(request.query.get("after", "0"))
    except ValueError:
        after = 0
    messages = services(request).handover.messages(ticket.id, after_id=after)
    view = ticket_view(request, ticket, time.time())
    return web.json_response(
        {
            "messages": [message_view(request, m) for m in messages],
            "state": ticket.state,
            "state_name": view["state_name"],
            "mine": _mine(request, ticket),
        }
    )


@routes.post(r"/agent/{id:\d+}/reply", "agent")
async def reply(request: web.Request) -> web.StreamResponse:
    ticket = _ticket(request)
    if not _mine(request, ticket):
        return forbidden(request)
    text = str((await request.post()).get("text") or "").strip()
    if not text:
        raise redirect(request, f"/agent/{ticket.id}", "请输入回复内容。")
    if services(request).handover.reply(ticket.id, text) is None:
        raise redirect(request, f"/agent/{ticket.id}", "没有发出：会话已结束。")
    raise redirect(request, f"/agent/{ticket.id}")


@routes.post(r"/agent/{id:\d+}/return", "agent")
async def hand_back(request: web.Request) -> web.StreamResponse:
    ticket = _ticket(request)
    if not _mine(request, ticket):
        return forbidden(request)
    services(request).handover.hand_back(ticket.id)
    raise redirect(request, "/agent", f"会话 {ticket.id} 已交还助手。")


@routes.get("/agent/figures", "agent", "analyst", nav="人工服务数据")
async def figures(request: web.Request) -> web.StreamResponse:
    """Time to the first agent reply and the share answered within 60 s: today, 7 days, 30 days."""
    store = _store(request)
    zone = ZoneInfo(services(request).config.handover_timezone)
    midnight = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    until = time.time() + 1
    periods = [
        ("今天", midnight),
        ("最近 7 天", midnight - timedelta(days=6)),
        ("最近 30 天", midnight - timedelta(days=29)),
    ]
    return page(
        request,
        "handover_figures.html",
        title="人工服务数据",
        target=seconds(ANSWER_TARGET_SECONDS),
        periods=[_figures_view(name, store.figures(start.timestamp(), until)) for name, start in periods],
    )


def _figures_view(name: str, f: Figures) -> Dict[str, Any]:
    share: Optional[float] = f.share_in_time
    return {
        "name": name,
        "queued": f.queued,
        "counted": f.counted,
        "in_time": f.answered_in_time,
        "share": f"{share:.0%}" if share is not None else "—",
        "median": seconds(f.median_first_reply) if f.median_first_reply is not None else "—",
    }
