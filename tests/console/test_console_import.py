"""导入 in the console: an admin uploads a region's export, sees every error or the plan, answers the
uncertain pairs, imports; a second person decides the conflicts of a re-import (four eyes)."""

from __future__ import annotations

import asyncio
import json
import re
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Tuple

import aiohttp
import yaml

from console_helpers import Browser, config, console, kb_copy
from tests.knowledge_base.test_catalogue_import import record

STAFF = [
    ("admin", "周九", ["admin"]),
    ("admin2", "吴十", ["admin"]),
    ("reviewer", "李四", ["reviewer"]),
    ("editor", "张三", ["editor"]),
]
PASSPORT_RECORD = record(
    "P0001",
    "办理及加注普通护照",
    "广州市公安局",
    catalog_name="普通护照签发",
    location="广州市越秀区某路1号（示例）",
    consult_phone="020-00000009",
)
BOOKING_RECORD = record("M0001", "结婚登记预约", "广东省民政厅")  # only an alias of ours: a pair to answer
GUIDE_RECORD = record("D0001", "导游证核发", consult_phone="020-00000001")


def run(coro):
    return asyncio.run(coro)


def export_bytes(rows) -> bytes:
    return ("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n").encode()


async def upload(browser: Browser, rows, filename: str = "清单.jsonl", mapping: str = "gdzwfw"):
    """The import page's form, as a browser sends it (multipart, with the page's CSRF token)."""
    await browser.get("/kb/import")
    form = aiohttp.FormData()
    form.add_field("csrf_token", browser.token)
    form.add_field("mapping", mapping)
    form.add_field("export", export_bytes(rows), filename=filename, content_type="application/octet-stream")
    response = await browser.http.post(browser.client.make_url("/kb/import/check"), data=form, allow_redirects=False)
    response.body_text = await response.text()  # type: ignore[attr-defined]
    return response


def staged_name(page_text: str) -> str:
    return re.search(r'name="staged" value="([^"]+)"', page_text).group(1)


@asynccontextmanager
async def signed_in_admin(tmp_path: Path, who: str = "admin") -> AsyncIterator[Tuple[Browser, Path]]:
    """The console on a copy of the knowledge base, an admin signed in, and the import folder."""
    imports = tmp_path / "imports"
    async with console(config(tmp_path, kb_dir=kb_copy(tmp_path), imports_dir=imports), STAFF) as client:
        admin = Browser(client)
        await admin.login(who)
        yield admin, imports


async def imported(admin: Browser, rows, filename: str = "清单.jsonl", **answers: str) -> str:
    """Upload, then import with `answers` to the pairs (pair.<code>): the page it lands on."""
    page = await upload(admin, rows, filename)
    fields = {
        "staged": staged_name(page.body_text),
        "mapping": "gdzwfw",
        **{f"pair.{c}": a for c, a in answers.items()},
    }
    return await followed(admin, await admin.post("/kb/import/run", fields))


async def followed(browser: Browser, response) -> str:
    assert response.status == 302, response.body_text
    return (await browser.get(response.headers["Location"])).body_text


def test_a_broken_record_is_named_by_record_and_field_and_nothing_is_imported(tmp_path):
    async def scenario():
        async with signed_in_admin(tmp_path) as (admin, imports):
            page = await upload(admin, [GUIDE_RECORD, record("D0002", ""), "{not json"])
            assert page.status == 200
            assert "没有导入任何内容" in page.body_text
            assert "<td>2</td><td>name</td>" in page.body_text  # the record and the field
            assert "<td>3</td>" in page.body_text  # the line that is not JSON
            assert 'action="/kb/import/run"' not in page.body_text  # nothing to import from here
            assert not (imports / "imported").exists()
            wrong = await upload(admin, [GUIDE_RECORD], filename="清单.txt")
            assert "只能导入" in await followed(admin, wrong)

    run(scenario())


def test_an_admin_imports_answering_the_pairs_and_the_bot_reads_the_record(tmp_path):
    async def scenario():
        async with signed_in_admin(tmp_path) as (admin, imports):
            editor = Browser(admin.client)
            await editor.login("editor")
            assert (await editor.get("/kb/import")).status == 403  # admins only
            page = await upload(admin, [PASSPORT_RECORD, BOOKING_RECORD, GUIDE_RECORD])
            assert "3 条记录全部通过检查" in page.body_text
            assert "办理及加注普通护照" in page.body_text and "普通护照签发（passport）" in page.body_text
            assert "结婚登记预约" in page.body_text  # both pairs shown, none merged yet
            text = await imported(admin, [PASSPORT_RECORD, BOOKING_RECORD, GUIDE_RECORD], P0001="passport", M0001="own")
            assert "已导入（导入编号 imp-" in text and "周九" in text  # the history names the importer
            facts = yaml.safe_load((imports / "local_facts" / "passport.yml").read_text("utf-8"))
            assert facts[0]["consult_phone"] == "020-00000009"  # the guide gets the real phone
            assert (imports / "imported" / "M0001.yml").exists() and (imports / "imported" / "D0001.yml").exists()
            assert not (imports / "imported" / "P0001.yml").exists()
            kept = yaml.safe_load((imports / "confirmed.yml").read_text("utf-8"))
            assert kept == {"M0001": None, "P0001": "passport"}  # for every later import
            assert "待确认的对应关系</a>：0 对" in text
            return imports

    imports = run(scenario())
    from knowledge_base import load_catalogue
    from common import settings

    served = load_catalogue(settings.kb_dir(), imports=imports)
    assert "020-00000009" in served.items["passport"].contact and "D0001" in served.imported


def test_a_pair_left_open_is_answered_later_and_the_record_joins_our_guide(tmp_path):
    async def scenario():
        async with signed_in_admin(tmp_path) as (admin, imports):
            await imported(admin, [PASSPORT_RECORD, GUIDE_RECORD])
            assert (imports / "imported" / "P0001.yml").exists()  # not answered: never merged on a guess
            pairs = await admin.get("/kb/import/pairs")
            assert "办理及加注普通护照" in pairs.body_text and "重新导入上次上传的" in pairs.body_text
            text = await followed(admin, await admin.post("/kb/import/pairs", {"pair.P0001": "passport"}))
            assert "并入现有事项 1" in text
            assert not (imports / "imported" / "P0001.yml").exists()
            assert (imports / "local_facts" / "passport.yml").exists()
            assert "没有待确认的对应关系" in (await admin.get("/kb/import/pairs")).body_text
            return imports

    imports = run(scenario())
    from knowledge_base.imports.erase import erase_import
    from knowledge_base.imports.trail import audit_lines

    second = [line["id"] for line in audit_lines(imports) if line["id"].startswith("imp-")][-1]
    erase_import(imports, second, "周九")
    assert (imports / "imported" / "P0001.yml").exists()  # undoing the merge gives the item back


def test_a_conflict_of_a_reimport_is_decided_by_someone_else(tmp_path):
    async def scenario():
        async with signed_in_admin(tmp_path) as (admin, imports):
            await imported(admin, [GUIDE_RECORD])
            path = imports / "imported" / "D0001.yml"
            data = yaml.safe_load(path.read_text("utf-8"))
            path.write_text(yaml.safe_dump({**data, "place": "工作人员核实的地址"}, allow_unicode=True), "utf-8")
            newer = record("D0001", "导游证核发", consult_phone="020-00000001", location="新导出的地址")
            assert "冲突待复核 1" in await imported(admin, [newer], filename="清单-新.jsonl")
            queue = await admin.get("/kb/import/conflicts")
            assert "工作人员核实的地址" in queue.body_text and "新导出的地址" in queue.body_text
            refused = await followed(admin, await admin.post("/kb/import/conflicts/D0001", {"keep": "export"}))
            assert "导入人不能复核自己导入产生的冲突" in refused
            assert yaml.safe_load(path.read_text("utf-8"))["place"] == "工作人员核实的地址"
            reviewer = Browser(admin.client)
            await reviewer.login("reviewer")
            await reviewer.get("/kb/import/conflicts")
            decided = await followed(reviewer, await reviewer.post("/kb/import/conflicts/D0001", {"keep": "export"}))
            assert "已采用新导出的版本" in decided and "复核队列是空的" in decided
            assert yaml.safe_load(path.read_text("utf-8"))["place"] == "新导出的地址"

    run(scenario())


def test_the_import_page_needs_its_token(tmp_path):
    async def scenario():
        async with signed_in_admin(tmp_path) as (admin, imports):
            form = aiohttp.FormData()
            form.add_field("mapping", "gdzwfw")
            form.add_field("export", export_bytes([GUIDE_RECORD]), filename="x.jsonl")
            response = await admin.http.post(
                admin.client.make_url("/kb/import/check"), data=form, allow_redirects=False
            )
            assert response.status == 403
            assert not (imports / "uploads").exists()

    run(scenario())


def test_only_the_upload_may_be_large(tmp_path):
    big = [record(f"B{i:05d}", f"导游证核发{i}", materials=["申请表" * 40]) for i in range(2500)]  # about 2 MB

    async def scenario():
        async with signed_in_admin(tmp_path) as (admin, imports):
            assert len(export_bytes(big)) > 1024 * 1024
            page = await upload(admin, big)
            assert page.status == 200 and "2500 条记录全部通过检查" in page.body_text
            login = await admin.http.post(
                admin.client.make_url("/login"), data={"username": "x" * (2 * 1024 * 1024)}, allow_redirects=False
            )
            assert login.status == 413  # any other form keeps the small limit, before sign-in too

    run(scenario())
