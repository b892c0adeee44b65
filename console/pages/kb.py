"""The knowledge base: find an entry, edit it as a draft, have another person publish it, see its history, revert.

Four eyes: an 编辑 saves a draft (changes against the published file, kept in the staff DB); an
审核 who is not its author publishes it. Publishing writes through knowledge_base.source.save_entry
(the same check and audit trail as `kb`) and asks the running bot to reload, as `kb reload` does.
A revert is done directly by an 审核: it brings back a version that was already in service, and is
itself recorded in the audit trail.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from aiohttp import web

from console import schema_form
from console.context import now, services, signed_in
from console.render import page, redirect
from console.routes import RouteTable
from common.kb_reload import reload_servers
from knowledge_base.template import UNFILLED, template_entry, unfilled_fields
from domain_logic import replies
from domain_logic.staff.drafts import PUBLISHED, REJECTED, WITHDRAWN, Draft, FourEyes
from knowledge_base import Bundle, ServiceItem
from knowledge_base.audit import AuditLog, Change, Conflict, apply_changes, changes_of, field_changes
from knowledge_base.catalogue import Catalogue
from knowledge_base.freshness import stamp
from knowledge_base.source import check_entry, entry_path, kind_of, read_entry, save_entry
from knowledge_base.validation import FileError

routes = RouteTable()
READERS = ("editor", "reviewer")
KINDS = ("办理", "查询", "服务", "一件事")


ENTRY_ID = re.compile(schema_form.schema("item")["properties"]["id"]["pattern"])


@dataclass(frozen=True)
class Published:
    """An entry's file as it is in service; for a new item not yet published, no data and the path it will have."""

    entry_id: str
    kind: str  # item | bundle
    path: str
    data: Dict[str, Any]

    @property
    def is_new(self) -> bool:
        return not self.data


def published_entry(request: web.Request, entry_id: str, new_allowed: bool = False) -> Published:
    """`new_allowed`: the pages a new item passes through (edit, draft, publish) take an id not yet in service."""
    kb_dir = services(request).config.kb_dir
    path = entry_path(kb_dir, entry_id)
    if path is None and new_allowed and ENTRY_ID.match(entry_id):
        return Published(entry_id, "item", str(kb_dir / "items" / f"{entry_id}.yml"), {})
    if path is None:
        raise web.HTTPNotFound(text=f"没有编码为 {entry_id} 的事项")
    return Published(entry_id, kind_of(path), str(path), read_entry(path))


def _catalogue(request: web.Request) -> Catalogue:
    return services(request).catalogue.current()


def as_citizen_reads(kind: str, data: Dict[str, Any], catalogue: Catalogue) -> List[str]:
    """The guide worded exactly as the bot answers (domain_logic.replies), for a version that passed the checks."""
    if kind == "item":
        entry: Any = ServiceItem.from_dict(data)
    else:
        entry = Bundle.from_dict(data, tuple(catalogue.items[m] for m in data["members"]))
    return replies.whole_guide(entry)


def _matches(entry: Any, catalogue: Catalogue, q: str, family: str, department: str, kind: str) -> bool:
    item = entry.members[0] if entry.is_bundle else entry
    if family and getattr(entry, "family", None) != family:
        return False
    if department and item.department_id != department:
        return False
    if kind and (("一件事" if entry.is_bundle else entry.kind) != kind):
        return False
    if q:
        haystack = " ".join([entry.id, entry.name, entry.summary, *entry.aliases, *(f.q for f in entry.faq)]).lower()
        return q.lower() in haystack
    return True


@routes.get("/kb", *READERS, nav="知识库")
async def entry_list(request: web.Request) -> web.StreamResponse:
    catalogue = _catalogue(request)
    q, family = request.query.get("q", "").strip(), request.query.get("family", "")
    department, kind = request.query.get("department", ""), request.query.get("kind", "")
    entries = sorted(
        (e for e in catalogue.entries() if _matches(e, catalogue, q, family, department, kind)), key=lambda e: e.id
    )
    open_drafts: Dict[str, int] = {}
    for d in services(request).drafts.open_drafts():
        open_drafts[d.entry_id] = open_drafts.get(d.entry_id, 0) + 1
    return page(
        request,
        "kb_list.html",
        title="知识库",
        entries=entries,
        catalogue=catalogue,
        kinds=KINDS,
        filters={"q": q, "family": family, "department": department, "kind": kind},
        drafts=open_drafts,
    )


@routes.get("/kb/entry/{entry}", *READERS)
async def entry_view(request: web.Request) -> web.StreamResponse:
    published = published_entry(request, request.match_info["entry"])
    catalogue = _catalogue(request)
    errors = check_entry(published.data, published.kind, published.path, catalogue)
    preview = [] if errors else as_citizen_reads(published.kind, published.data, catalogue)
    return page(
        request,
        "kb_entry.html",
        title=published.data.get("name", published.entry_id),
        entry=published,
        preview=preview,
        errors=[str(e) for e in errors],
        drafts=services(request).drafts.open_drafts(published.entry_id),
    )


def _edit_page(
    request: web.Request,
    published: Published,
    data: Dict[str, Any],
    errors: List[FileError],
    preview: List[str],
    status: int = 200,
    note: str = "",
) -> web.Response:
    fields = schema_form.build(published.kind, data)
    return page(
        request,
        "kb_edit.html",
        status=status,
        title=f"编辑：{data.get('name') or published.entry_id}",
        name=data.get("name") or published.entry_id,
        entry=published,
        fields=fields,
        errors=schema_form.place_errors(fields, errors),
        all_errors=[str(e) for e in errors],
        preview=preview,
        note=note,
    )


@routes.get("/kb/entry/{entry}/edit", "editor")
async def edit_form(request: web.Request) -> web.StreamResponse:
    """The published entry, with the editor's own open draft laid over it if they have one."""
    published = published_entry(request, request.match_info["entry"], new_allowed=True)
    draft = services(request).drafts.own_open(published.entry_id, signed_in(request))
    if published.is_new and draft is None:
        raise web.HTTPFound("/kb/new")  # a new item starts from its id and name
    data = published.data
    if draft is not None:
        try:
            data = apply_changes(published.data, draft.changes)
        except Conflict:
            pass  # the draft is out of date: start again from what is published
    return _edit_page(request, published, data, [], [], note=draft.note if draft else "")


@routes.post("/kb/entry/{entry}/edit", "editor")
async def edit_submit(request: web.Request) -> web.StreamResponse:
    """Buttons of the form: add or remove a row, preview, or save as a draft (only a version that passes the checks)."""
    published = published_entry(request, request.match_info["entry"], new_allowed=True)
    form = await request.post()
    op, note = str(form.get("op", "save")), str(form.get("note", "")).strip()
    data = schema_form.read(published.kind, form, published.data or {"id": published.entry_id})  # id: not in the form
    if op.startswith(("add:", "remove:")):
        return _edit_page(request, published, schema_form.edit_rows(data, op), [], [], note=note)
    catalogue = _catalogue(request)
    errors = check_entry(data, published.kind, published.path, catalogue) or [
        FileError(published.path, field, f"请把“{UNFILLED}”换成办事指南的内容") for field in unfilled_fields(data)
    ]
    if errors:
        return _edit_page(request, published, data, errors, [], status=400, note=note)
    if op == "preview":
        return _edit_page(request, published, data, [], as_citizen_reads(published.kind, data, catalogue), note=note)
    changes = field_changes(published.data, data)
    if not changes:
        return _edit_page(
            request,
            published,
            data,
            [FileError(published.path, "", "没有任何改动，未保存草稿")],
            [],
            status=400,
            note=note,
        )
    draft = services(request).drafts.save(published.entry_id, signed_in(request), changes, note, now(request))
    raise redirect(
        request, f"/kb/drafts/{draft.id}", f"已保存为草稿 #{draft.id}，需由另一位审核人员发布后才对群众生效。"
    )


def _new_page(request: web.Request, entry_id: str = "", name: str = "", error: str = "", status: int = 200):
    return page(request, "kb_new.html", status=status, title="新建事项", entry_id=entry_id, name=name, error=error)


@routes.get("/kb/new", "editor")
async def new_form(request: web.Request) -> web.StreamResponse:
    return _new_page(request)


@routes.post("/kb/new", "editor")
async def new_submit(request: web.Request) -> web.StreamResponse:
    """An id and a name, then the whole guide in the same form as an edit, from the template `kb new` uses;
    saved, it is a draft like any change, published by another person."""
    form = await request.post()
    entry_id, name = str(form.get("entry_id", "")).strip(), str(form.get("name", "")).strip()
    if not ENTRY_ID.match(entry_id):
        error = "事项编码只用小写英文字母、数字和连字符，并以字母开头（如 marriage-registration）"
    elif entry_path(services(request).config.kb_dir, entry_id) is not None:
        error = f"事项编码 {entry_id} 已经存在，请换一个，或直接编辑那个事项"
    elif not name:
        error = "请填写事项名称"
    else:
        published = published_entry(request, entry_id, new_allowed=True)
        return _edit_page(request, published, template_entry(entry_id, name), [], [])
    return _new_page(request, entry_id, name, f"未能新建：{error}。", status=400)


@routes.get("/kb/drafts", *READERS, nav="待审草稿")
async def draft_list(request: web.Request) -> web.StreamResponse:
    return page(request, "kb_drafts.html", title="待审草稿", drafts=services(request).drafts.open_drafts())


def _draft(request: web.Request) -> Draft:
    try:
        draft = services(request).drafts.get(int(request.match_info["draft"]))
    except ValueError:
        draft = None
    if draft is None:
        raise web.HTTPNotFound(text="没有这份草稿")
    return draft


def _proposed(published: Published, draft: Draft) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """The entry as the draft would make it, or the field that changed under it since."""
    try:
        return apply_changes(published.data, draft.changes), None
    except Conflict as exc:
        return None, exc.field


@routes.get("/kb/drafts/{draft}", *READERS)
async def draft_view(request: web.Request) -> web.StreamResponse:
    draft = _draft(request)
    published = published_entry(request, draft.entry_id, new_allowed=True)
    proposed, conflict = _proposed(published, draft) if draft.is_open else (None, None)
    catalogue = _catalogue(request)
    errors = check_entry(proposed, published.kind, published.path, catalogue) if proposed else []
    preview = as_citizen_reads(published.kind, proposed, catalogue) if proposed and not errors else []
    account = signed_in(request)
    return page(
        request,
        "kb_draft.html",
        title=f"草稿 #{draft.id}",
        draft=draft,
        entry=published,
        changes=[(c, c.describe()) for c in draft.changes],
        preview=preview,
        errors=[str(e) for e in errors],
        conflict=conflict,
        may_publish=draft.is_open and account.may("reviewer") and account.id != draft.author_id,
        own=account.id == draft.author_id,
    )


async def reload_bot(request: web.Request) -> str:
    """Ask the running bot to re-read now, as `kb reload` does; one line on how it went."""
    config = services(request).config
    results = await asyncio.get_running_loop().run_in_executor(
        None, reload_servers, config.rasa_url, config.actions_url
    )
    if all(r.ok and not r.errors for r in results):
        return "运行中的助手已重新加载。"
    failed = "；".join(f"{r.name}：{r.message}" for r in results if not r.ok)
    return (
        f"未能立即通知运行中的助手（{failed}），它会在几秒内自行发现文件变化。"
        if failed
        else "助手已重新加载，但有文件仍有错误（见 kb validate）。"
    )


@routes.post("/kb/drafts/{draft}/publish", "reviewer")
async def publish(request: web.Request) -> web.StreamResponse:
    draft, reviewer = _draft(request), signed_in(request)
    here = f"/kb/drafts/{draft.id}"
    drafts = services(request).drafts
    try:
        drafts.check_publisher(draft, reviewer)
    except FourEyes as exc:
        raise redirect(request, here, str(exc))
    if not draft.is_open:
        raise redirect(request, here, "这份草稿已经处理过了。")
    published = published_entry(request, draft.entry_id, new_allowed=True)
    proposed, conflict = _proposed(published, draft)
    if proposed is None:
        raise redirect(request, here, f"不能发布：草稿保存后，字段 {conflict} 已被修改。请作者重新编辑。")
    proposed = stamp(proposed, reviewer.display_name, now(request).date())  # publishing is a review
    errors = save_entry(
        services(request).config.kb_dir,
        draft.entry_id,
        proposed,
        draft.author,
        f"控制台草稿 #{draft.id}" + ("（新建事项）" if published.is_new else ""),
        kind=published.kind,
        reviewer=reviewer.display_name,
    )
    if errors:
        raise redirect(request, here, "没有发布，因为：" + "；".join(str(e) for e in errors))
    form = await request.post()
    drafts.decide(draft, PUBLISHED, reviewer, str(form.get("note", "")), now(request))
    raise redirect(request, f"/kb/entry/{draft.entry_id}", f"草稿 #{draft.id} 已发布。" + await reload_bot(request))


@routes.post("/kb/drafts/{draft}/reject", "reviewer")
async def reject(request: web.Request) -> web.StreamResponse:
    draft, form = _draft(request), await request.post()
    try:
        services(request).drafts.decide(draft, REJECTED, signed_in(request), str(form.get("note", "")), now(request))
    except (FourEyes, ValueError) as exc:
        raise redirect(request, f"/kb/drafts/{draft.id}", str(exc))
    raise redirect(request, "/kb/drafts", f"草稿 #{draft.id} 已退回。")


@routes.post("/kb/drafts/{draft}/withdraw", *READERS)
async def withdraw(request: web.Request) -> web.StreamResponse:
    draft = _draft(request)
    try:
        services(request).drafts.decide(draft, WITHDRAWN, signed_in(request), "", now(request))
    except (FourEyes, ValueError) as exc:
        raise redirect(request, f"/kb/drafts/{draft.id}", str(exc))
    raise redirect(request, f"/kb/entry/{draft.entry_id}", f"草稿 #{draft.id} 已撤回。")


def _history(request: web.Request, entry_id: str) -> List[Dict[str, Any]]:
    return AuditLog(services(request).config.kb_dir).history(entry_id)


@routes.get("/kb/entry/{entry}/history", *READERS)
async def history(request: web.Request) -> web.StreamResponse:
    published = published_entry(request, request.match_info["entry"])
    records = [
        (i, r, [(c, c.describe()) for c in changes_of(r)]) for i, r in enumerate(_history(request, published.entry_id))
    ]
    return page(
        request,
        "kb_history.html",
        title=f"修改记录：{published.data.get('name')}",
        entry=published,
        records=list(reversed(records)),
    )


@routes.post("/kb/entry/{entry}/history/{record}/revert", "reviewer")
async def revert(request: web.Request) -> web.StreamResponse:
    published = published_entry(request, request.match_info["entry"])
    here = f"/kb/entry/{published.entry_id}/history"
    records = _history(request, published.entry_id)
    try:
        record = records[int(request.match_info["record"])]
    except (ValueError, IndexError):
        raise web.HTTPNotFound(text="没有这条修改记录")
    changes: List[Change] = changes_of(record)
    if not changes:
        raise redirect(request, here, "这条记录没有字段改动，无需撤销。")
    try:
        data = apply_changes(published.data, changes, reverse=True)
    except Conflict as exc:
        raise redirect(request, here, f"不能撤销：字段 {exc.field} 之后又被修改过，请先撤销更晚的修改。")
    errors = save_entry(
        services(request).config.kb_dir,
        published.entry_id,
        data,
        signed_in(request).display_name,
        f"撤销 {record['at']} 的修改（{record['action']}）",
    )
    if errors:
        raise redirect(request, here, "没有撤销，因为：" + "；".join(str(e) for e in errors))
    raise redirect(request, here, "已撤销该次修改。" + await reload_bot(request))
