"""Freshness: the guides not reviewed for KB_STALE_DAYS (oldest first), and the reviewer's 已复核，无变化.

Confirming is an 审核's act on the published file, recorded in the audit trail like any change
(it sets `reviewed` and nothing else), so it needs no second pair of eyes.
"""

from __future__ import annotations

from aiohttp import web

from console.context import now, services, signed_in
from console.pages.kb import published_entry, reload_bot
from console.render import page, redirect
from console.routes import RouteTable
from knowledge_base.freshness import due_for_review, stamp
from knowledge_base.source import save_entry

routes = RouteTable()


@routes.get("/kb/stale", "editor", "reviewer", nav="待复核")
async def stale(request: web.Request) -> web.StreamResponse:
    found = services(request)
    days = found.config.stale_days
    due = due_for_review(found.catalogue.current(), now(request).date(), days)
    return page(request, "kb_stale.html", title="待复核", due=due, days=days)


@routes.post("/kb/entry/{entry}/reviewed", "reviewer")
async def confirm_reviewed(request: web.Request) -> web.StreamResponse:
    published, reviewer = published_entry(request, request.match_info["entry"]), signed_in(request)
    data = stamp(published.data, reviewer.display_name, now(request).date())
    errors = save_entry(
        services(request).config.kb_dir, published.entry_id, data, reviewer.display_name, "已复核，无变化"
    )
    here = f"/kb/entry/{published.entry_id}"
    if errors:
        raise redirect(request, here, "没有记录，因为：" + "；".join(str(e) for e in errors))
    raise redirect(
        request, here, f"已记录复核（{now(request):%Y-%m-%d}，{reviewer.display_name}）。" + await reload_bot(request)
    )
