"""好差评: a period's figures and charts (分析), the 差评 cases with their deadlines (分析, 坐席).

The figures are domain_logic.feedback.report.build_report's (through domain_logic.feedback.report_files.load_report,
as `python -m tools.feedback report`), the charts domain_logic.feedback.report_files.draw_charts' PNGs, the CSV its
write_csv; a case moves through FeedbackStore.move, the same workflow and history as the command line.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from aiohttp import web

from console.context import now, services, signed_in
from console.render import page, redirect
from console.routes import RouteTable
from domain_logic.feedback.report_files import draw_charts, load_report, period, write_csv
from domain_logic.feedback.report import Report
from common.database import StoreUnavailable
from domain_logic.feedback.store import DIMENSIONS, RATINGS, TRANSITIONS, InvalidTransition
from common.channels import CHANNELS as ALL_CHANNELS

routes = RouteTable()
CASE_ROLES = ("analyst", "agent")
CHANNELS = tuple(c.name for c in ALL_CHANNELS)
CHARTS = {"weekly_trend": 0, "items": 1}  # draw_charts' files, in its order
_CHARTS_LOCK = asyncio.Lock()  # matplotlib's pyplot is not for two threads at once


def _filters(request: web.Request) -> Tuple[Dict[str, str], datetime, datetime]:
    today = now(request).date()
    q = request.query
    chosen = {
        "from": q.get("from") or (today - timedelta(days=30)).isoformat(),
        "to": q.get("to") or today.isoformat(),
        "item": q.get("item", "").strip(),
        "channel": q.get("channel", "").strip(),
    }
    try:
        start, end = period(chosen["from"], chosen["to"])
    except ValueError:
        raise web.HTTPBadRequest(text="日期格式应为 YYYY-MM-DD")
    return chosen, start, end


def _report(request: web.Request, item: Optional[str] = None, channel: Optional[str] = None) -> Report:
    chosen, start, end = _filters(request)
    found = services(request)
    return load_report(
        found.feedback,
        found.inbox,
        start,
        end,
        now(request),
        item if item is not None else chosen["item"] or None,
        channel if channel is not None else chosen["channel"] or None,
    )


@routes.get("/feedback", "analyst", nav="好差评")
async def dashboard(request: web.Request) -> web.StreamResponse:
    chosen, _, _ = _filters(request)
    try:
        report = _report(request)
        by_channel = [(c, _report(request, channel=c)) for c in CHANNELS if not chosen["channel"]]
    except StoreUnavailable:
        return page(request, "feedback_down.html", status=503, title="好差评")
    query = "&".join(f"{k}={v}" for k, v in chosen.items() if v)
    return page(
        request,
        "feedback.html",
        title="好差评",
        report=report,
        filters=chosen,
        channels=CHANNELS,
        by_channel=[(c, r) for c, r in by_channel if r.total],
        query=query,
        dimensions=DIMENSIONS,
        names={e.id: e.name for e in services(request).catalogue.current().entries()},
    )


@routes.get("/feedback/charts/{name}.png", "analyst")
async def chart(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if name not in CHARTS:
        raise web.HTTPNotFound()
    report = _report(request)
    async with _CHARTS_LOCK:
        with tempfile.TemporaryDirectory(prefix="console-charts-") as folder:
            try:
                paths = await asyncio.get_running_loop().run_in_executor(None, draw_charts, report, Path(folder))
            except FileNotFoundError as exc:  # no Chinese font: make fonts
                raise web.HTTPServiceUnavailable(text=str(exc))
            body = paths[CHARTS[name]].read_bytes()
    return web.Response(body=body, content_type="image/png")


@routes.get("/feedback/report.csv", "analyst")
async def csv_export(request: web.Request) -> web.StreamResponse:
    chosen, _, _ = _filters(request)
    report = _report(request)
    with tempfile.TemporaryDirectory(prefix="console-csv-") as folder:
        path = Path(folder) / "report.csv"
        write_csv(report, path)
        body = path.read_bytes()
    filename = f"haochaping-{chosen['from']}-{chosen['to']}.csv"
    return web.Response(
        body=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@routes.get("/feedback/cases", *CASE_ROLES, nav="差评案件")
async def case_list(request: web.Request) -> web.StreamResponse:
    at = now(request)
    try:
        cases = services(request).feedback.cases()
    except StoreUnavailable:
        return page(request, "feedback_down.html", status=503, title="差评案件")
    show_closed = request.query.get("all") == "1"

    def due(c: Any) -> datetime:
        return c.callback_due if c.status == "待回访" else c.rectify_due

    listed = [c for c in cases if show_closed or TRANSITIONS.get(c.status)]
    listed.sort(key=lambda c: (not c.overdue(at), due(c)))  # overdue first, then the nearest deadline
    return page(request, "cases.html", title="差评案件", cases=listed, now=at, ratings=RATINGS, show_closed=show_closed)


def _case_id(request: web.Request) -> int:
    try:
        return int(request.match_info["case"])
    except ValueError:
        raise web.HTTPNotFound()


@routes.get("/feedback/cases/{case}", *CASE_ROLES)
async def case_view(request: web.Request) -> web.StreamResponse:
    store = services(request).feedback
    case = store.case(_case_id(request))
    if case is None:
        raise web.HTTPNotFound(text="没有这个案件")
    return page(
        request,
        "case.html",
        title=f"案件 {case.id}",
        case=case,
        history=store.history(case.id),
        now=now(request),
        ratings=RATINGS,
        next_states=TRANSITIONS.get(case.status, ()),
    )


@routes.post("/feedback/cases/{case}/move", *CASE_ROLES)
async def case_move(request: web.Request) -> web.StreamResponse:
    case_id, form = _case_id(request), await request.post()
    here = f"/feedback/cases/{case_id}"
    note = str(form.get("note", "")).strip()
    if not note:
        raise redirect(request, here, "请填写处理说明。")
    try:
        case = services(request).feedback.move(
            case_id, str(form.get("to", "")), signed_in(request).display_name, note, now(request)
        )
    except InvalidTransition as exc:
        raise redirect(request, here, str(exc))
    raise redirect(request, here, f"案件 {case.id} 已转为“{case.status}”。")
