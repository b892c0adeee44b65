"""The unanswered-questions inbox: grouped by similarity, tried against the running bot, turned into
knowledge or dismissed, with the inbox's own rules (domain_logic/inbox/triage.py), as `kb inbox` does.

An alias or an FAQ entry changes the served knowledge base at once, as `kb inbox alias` does, so
only an 审核 makes one here; a training example (for the next `make train`) or a dismissal any
编辑 may. 试一试 shows how the bot reads a question: Rasa's /model/parse (with the admin token) for
the intent and entities, and its REST channel with a throwaway sender for the reply.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any, Dict, List

import httpx
from aiohttp import web

from common.rasa_client import RasaClient, RasaUnavailable
from console.context import services, signed_in
from console.pages.kb import reload_bot
from console.render import page, redirect
from console.routes import RouteTable
from knowledge_base.edits import KbError
from domain_logic.inbox.triage import SIMILAR, domain_intents, group_similar, resolve
from common.admin import admin_token
from domain_logic.inbox.store import STAFF_CHANNEL
from common.database import StoreUnavailable

routes = RouteTable()
READERS = ("editor", "reviewer")


def _view(request: web.Request, tried: Dict[str, Any], status: int = 200) -> web.Response:
    found = services(request)
    try:
        groups = group_similar(found.inbox.inbox())
    except StoreUnavailable:
        return page(request, "feedback_down.html", status=503, title="未答问题")
    guesses = [Counter(e["service"] for e in g.entries if e["service"]).most_common(1) for g in groups]
    entries = sorted(((e.id, e.name) for e in found.catalogue.current().entries()), key=lambda p: p[0])
    return page(
        request,
        "inbox.html",
        status=status,
        title="未答问题",
        groups=list(zip(groups, guesses)),
        entries=entries,
        intents=domain_intents(),
        tried=tried,
        similar=SIMILAR,
        may_edit_kb=signed_in(request).may("reviewer"),
    )


@routes.get("/inbox", *READERS, nav="未答问题")
async def inbox(request: web.Request) -> web.StreamResponse:
    return _view(request, {})


async def how_the_bot_reads(rasa_url: str, text: str) -> Dict[str, Any]:
    """Intent, entities and the reply the running bot gives `text`, from a sender no citizen has."""
    result: Dict[str, Any] = {"text": text}
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            parsed = (
                (
                    await http.post(
                        f"{rasa_url.rstrip('/')}/model/parse", params={"token": admin_token()}, json={"text": text}
                    )
                )
                .raise_for_status()
                .json()
            )
        result["intent"] = parsed.get("intent") or {}
        result["entities"] = [(e.get("entity"), e.get("value")) for e in parsed.get("entities", [])]
        client = RasaClient(rasa_url, channel=STAFF_CHANNEL)  # not logged into the inbox
        sender = f"console-try-{uuid.uuid4().hex}"
        try:
            result["replies"] = [(m.text, [b.title for b in m.buttons]) for m in await client.send(sender, text)]
            await client.forget(sender)
        finally:
            await client.close()
    except (httpx.HTTPError, RasaUnavailable, ValueError) as exc:
        result["error"] = f"连不上运行中的助手（{exc}）。助手在运行吗？"
    return result


@routes.post("/inbox/try", *READERS)
async def try_question(request: web.Request) -> web.StreamResponse:
    text = str((await request.post()).get("text", "")).strip()[:500]
    if not text:
        raise redirect(request, "/inbox", "请输入要试的问题。")
    return _view(request, await how_the_bot_reads(services(request).config.rasa_url, text))


def _ids(form: Any) -> List[int]:
    try:
        return [int(i) for i in form.getall("ids", [])]
    except ValueError:
        return []


async def _resolve(request: web.Request, allowed: tuple, reload: bool = False) -> web.StreamResponse:
    form = await request.post()
    action = str(form.get("action", ""))
    if action not in allowed:
        raise web.HTTPBadRequest(text="不认识的处理方式")
    found = services(request)

    def field(name: str) -> Any:
        value = str(form.get(name, "")).strip()
        return value or None

    try:
        message = resolve(
            found.inbox,
            _ids(form),
            action,
            root=found.config.kb_dir,
            by=signed_in(request).display_name,
            item=field("item"),
            text=field("text"),
            answer=field("answer"),
            intent=field("intent"),
            nlu_file=found.config.nlu_file,
        )
    except KbError as exc:
        raise redirect(request, "/inbox", f"未处理：{exc}")
    except StoreUnavailable:
        raise redirect(request, "/inbox", "无法连接数据库，请稍后再试。")
    raise redirect(request, "/inbox", message + (await reload_bot(request) if reload else ""))


@routes.post("/inbox/to-kb", "reviewer")
async def to_knowledge(request: web.Request) -> web.StreamResponse:
    """An alias or an FAQ entry: a checked edit of the served knowledge base, with its audit trail."""
    return await _resolve(request, ("alias", "faq"), reload=True)


@routes.post("/inbox/other", *READERS)
async def example_or_dismiss(request: web.Request) -> web.StreamResponse:
    return await _resolve(request, ("example", "dismiss"))
