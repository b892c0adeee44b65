"""How the human-help pages show a ticket: times in the hall's time zone, waits, channels, states.

Plain functions over domain_logic.handover.store's records, shared by the agent pages (pages/handover.py)
and the callback tickets (pages/callbacks.py). Texts were masked when stored; the templates
pass them through the `citizen` filter once more.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List
from zoneinfo import ZoneInfo

from aiohttp import web

from console.context import services
from domain_logic.handover.store import AGENT, LEFT, RETURNED, TIMED_OUT, WAITING, WITH_AGENT, Message, Ticket
from common.channels import label

STATES = {
    WAITING: "排队中",
    WITH_AGENT: "人工服务中",
    RETURNED: "已交还助手",
    TIMED_OUT: "等待超时（已转回电）",
    LEFT: "群众已离开",
}
REASONS = {TIMED_OUT: "排队超时", "closed": "非人工服务时间", "asked": "群众要求回电"}


def clock(request: web.Request, epoch: float, with_date: bool = False) -> str:
    moment = datetime.fromtimestamp(epoch, ZoneInfo(services(request).config.handover_timezone))
    return moment.strftime("%m-%d %H:%M" if with_date else "%H:%M:%S")


def seconds(value: float) -> str:
    """42 → 42 秒; 95 → 95 秒; 150 → 2 分 30 秒; 180 → 3 分."""
    whole = int(round(value))
    if whole < 120:
        return f"{whole} 秒"
    return f"{whole // 60} 分" + (f" {whole % 60} 秒" if whole % 60 else "")


def ticket_view(request: web.Request, ticket: Ticket, now: float) -> Dict[str, Any]:
    summary = ticket.summary or {}
    return {
        "id": ticket.id,
        "channel": label(ticket.channel),
        "state": ticket.state,
        "state_name": STATES.get(ticket.state, ticket.state),
        "agent": ticket.agent,
        "since": clock(request, ticket.created_at),
        "waited": seconds(now - ticket.created_at),
        "service": summary.get("service"),
        "checklist": summary.get("checklist"),
        "recent": summary.get("recent") or [],
    }


def message_view(request: web.Request, message: Message) -> Dict[str, Any]:
    return {
        "id": message.id,
        "who": "工作人员" if message.author == AGENT else "群众",
        "author": message.author,
        "text": message.text,
        "at": clock(request, message.at),
    }


def message_views(request: web.Request, messages: List[Message]) -> List[Dict[str, Any]]:
    return [message_view(request, m) for m in messages]
