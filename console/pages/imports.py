"""导入: a region's 事项清单 from the console, for admins, the same steps as `kb import-catalogue`.

Upload an export (JSON Lines or Excel) and pick its mapping: every record is checked first, and with
one broken field nothing is imported (the errors by record and field). Then the plan: how many records
give our guides their local facts, how many become imported items, and each uncertain pair, for the
admin to say "the same matter" or "a matter of its own" (never merged on a guess). Importing keeps
those answers for every later import (`confirmed.yml`). The review queue of conflicts (staff's edit and
a newer export both changed a record) is decided here by someone other than the importer (four eyes).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Dict, List, Optional

from aiohttp import web

from common import settings
from console.context import services, signed_in
from console.pages.kb import reload_bot
from console.render import page, redirect
from console.routes import RouteTable
from knowledge_base.imports.check import CheckedExport, check_export
from knowledge_base.imports.decisions import decisions_for, open_pairs, record_decisions
from knowledge_base.imports.landing import write_import
from knowledge_base.imports.mapping import MAPPINGS_DIR
from knowledge_base.imports.review import ReviewRefused, open_conflicts, resolve
from knowledge_base.imports.trail import audit_lines

routes = RouteTable()
UPLOADS = "uploads"  # <import folder>/uploads/<time>-<name>: the export as uploaded, for the import step
SUFFIXES = (".jsonl", ".xlsx")
OWN = "own"  # the answer "a matter of its own" in the pairs form
SHOWN_ERRORS = 200
_SAFE_NAME = re.compile(r"[^\w.\-]+")


@dataclass(frozen=True)
class Pair:
    """One uncertain pair as the form shows it, with the answer already given (if any)."""

    code: str
    name: str
    department: str
    entry_id: str
    entry_name: str
    why: str
    answer: str  # the entry id, OWN, or "" (not answered)


def _folder(request: web.Request) -> Path:
    return services(request).config.imports_dir or settings.kb_imports_dir()


def mappings() -> List[str]:
    return sorted(p.stem for p in MAPPINGS_DIR.glob("*.yml"))


def _staged(request: web.Request, name: str) -> Path:
    """An uploaded export by the name the check page gave it; nothing outside the uploads folder."""
    path = _folder(request) / UPLOADS / Path(name).name
    if not name or path.name != name or not path.exists():
        raise redirect(request, "/kb/import", "找不到上传的文件，请重新上传。")
    return path


def _pairs(checked: CheckedExport, request: web.Request) -> List[Pair]:
    catalogue = services(request).catalogue.current()
    answers = decisions_for(_folder(request))
    out = []
    for p in checked.plan.uncertain if checked.plan else []:
        entry = catalogue.get(p.entry_id)
        given = answers.get(p.record.code, "")
        out.append(
            Pair(
                p.record.code,
                p.record.name,
                p.record.department,
                p.entry_id,
                entry.name if entry else p.entry_id,
                p.why,
                OWN if p.record.code in answers and given is None else (given or ""),
            )
        )
    return out


def _check(request: web.Request, export: Path, mapping: str) -> CheckedExport:
    return check_export(export, mapping, services(request).catalogue.current(), decisions_for(_folder(request)))


async def _import(request: web.Request, staged: Path, mapping: str, answers: Dict[str, Optional[str]]) -> str:
    """Keep the answers, plan with them, write the import and have the bot re-read; what it did, in words."""
    admin, folder = signed_in(request), _folder(request)
    record_decisions(folder, answers, admin.display_name)
    checked = await asyncio.to_thread(_check, request, staged, mapping)
    if not checked.importable or checked.plan is None or checked.mapping is None:
        return "文件没有通过检查，没有导入任何内容。"
    plan, source = checked.plan, checked.mapping.source
    audit_id, landed = await asyncio.to_thread(
        write_import, plan, folder, source, staged.name, admin.display_name, None, mapping
    )
    message = f"已导入（导入编号 {audit_id}）：{plan.summary()}；{landed.summary()}。"
    if landed.conflicts:
        message += f"有 {len(landed.conflicts)} 条冲突进入复核队列，请另一位工作人员处理。"
    return message + await reload_bot(request)


@routes.get("/kb/import", "admin", nav="导入")
async def import_page(request: web.Request) -> web.StreamResponse:
    folder = _folder(request)
    history = _imports(folder)[::-1][:10]
    return page(
        request,
        "kb_import.html",
        title="导入事项清单",
        mappings=mappings(),
        folder=folder,
        history=history,
        pending=len(open_pairs(folder)),
        conflicts=len(open_conflicts(folder)),
    )


@routes.post("/kb/import/check", "admin")
async def check_upload(request: web.Request) -> web.StreamResponse:
    """Keep the upload, check every record, show the errors or the plan with its pairs to answer."""
    form = await request.post()
    upload, mapping = form.get("export"), str(form.get("mapping") or "")
    if not isinstance(upload, web.FileField) or not upload.filename:
        raise redirect(request, "/kb/import", "请选择要导入的事项清单文件（.jsonl 或 .xlsx）。")
    suffix = Path(upload.filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise redirect(
            request,
            "/kb/import",
            f"只能导入 JSON Lines（.jsonl）或 Excel（.xlsx）文件，收到的是 {suffix or '无扩展名'}。",
        )
    if mapping not in mappings():
        raise redirect(request, "/kb/import", "请选择字段映射。")
    name = f"{datetime.now():%Y%m%d%H%M%S}-{_SAFE_NAME.sub('_', Path(upload.filename).stem)[:60]}{suffix}"
    staged = _folder(request) / UPLOADS / name
    staged.parent.mkdir(parents=True, exist_ok=True)
    staged.write_bytes(upload.file.read())
    checked = await asyncio.to_thread(_check, request, staged, mapping)
    return page(
        request,
        "kb_import_check.html",
        title="导入预览",
        checked=checked,
        shown_errors=checked.errors[:SHOWN_ERRORS],
        upload=upload.filename,
        staged=name,
        mapping=mapping,
        pairs=_pairs(checked, request),
        own=OWN,
    )


def _answers(form, request: web.Request) -> Dict[str, Optional[str]]:
    """The pairs the admin answered in the form (pair.<实施编码>): one of our items (the same matter) or
    None (its own); a value naming none of our items is no answer."""
    items = services(request).catalogue.current().items
    answers: Dict[str, Optional[str]] = {}
    for key, value in form.items():
        if key.startswith("pair.") and isinstance(value, str) and (value == OWN or value in items):
            answers[key[len("pair.") :]] = None if value == OWN else value
    return answers


@routes.post("/kb/import/run", "admin")
async def run_import(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    staged, mapping = _staged(request, str(form.get("staged") or "")), str(form.get("mapping") or "")
    raise redirect(request, "/kb/import", await _import(request, staged, mapping, _answers(form, request)))


def _imports(folder: Path) -> List[dict]:
    """The audit lines of the imports themselves (not the decisions, reviews or erasures), oldest first."""
    return [line for line in audit_lines(folder) if str(line.get("id", "")).startswith("imp-")]


def _last_upload(request: web.Request) -> Optional[dict]:
    """The latest import, when it was made from an upload that is still kept, to import again with new answers."""
    imports = _imports(_folder(request))
    if not imports:
        return None
    last = imports[-1]
    kept = _folder(request) / UPLOADS / str(last.get("export", ""))
    return last if kept.exists() and last.get("mapping") else None


def _open_pairs(request: web.Request) -> List[Pair]:
    """The last import's pairs nobody has answered yet (`uncertain.yml`)."""
    catalogue = services(request).catalogue.current()
    out = []
    for p in open_pairs(_folder(request)):
        entry_id = str(p.get("entry", ""))
        entry = catalogue.get(entry_id)
        name, department, why = (str(p.get(k, "")) for k in ("name", "department", "why"))
        out.append(Pair(str(p["code"]), name, department, entry_id, entry.name if entry else entry_id, why, ""))
    return out


@routes.get("/kb/import/pairs", "admin")
async def pairs_page(request: web.Request) -> web.StreamResponse:
    return page(
        request,
        "kb_import_pairs.html",
        title="待确认的对应关系",
        pairs=_open_pairs(request),
        own=OWN,
        last=_last_upload(request),
    )


@routes.post("/kb/import/pairs", "admin")
async def answer_pairs(request: web.Request) -> web.StreamResponse:
    """Keep the answers; when the last import came from an upload, import it again with them."""
    form = await request.post()
    answers = _answers(form, request)
    last = _last_upload(request)
    if last is None:
        record_decisions(_folder(request), answers, signed_in(request).display_name)
        raise redirect(request, "/kb/import", f"已记下 {len(answers)} 个判断，下次导入时生效。")
    staged = _folder(request) / UPLOADS / str(last["export"])
    raise redirect(request, "/kb/import", await _import(request, staged, str(last["mapping"]), answers))


@routes.get("/kb/import/conflicts", "admin", "reviewer")
async def conflicts_page(request: web.Request) -> web.StreamResponse:
    return page(request, "kb_import_conflicts.html", title="导入复核队列", conflicts=open_conflicts(_folder(request)))


@routes.post("/kb/import/conflicts/{code}", "admin", "reviewer")
async def decide_conflict(request: web.Request) -> web.StreamResponse:
    """Four eyes: staff's version or the newer export's, decided by someone who did not import it."""
    form = await request.post()
    keep = str(form.get("keep") or "")
    if keep not in ("staff", "export"):
        raise redirect(request, "/kb/import/conflicts", "请选择保留哪个版本。")
    try:
        said = resolve(_folder(request), request.match_info["code"], keep, signed_in(request).display_name)
    except ReviewRefused as refused:
        raise redirect(request, "/kb/import/conflicts", str(refused)) from refused
    raise redirect(request, "/kb/import/conflicts", said + await reload_bot(request))
