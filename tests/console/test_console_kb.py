"""The knowledge base in the console: the schema-generated form, drafts, four eyes, publish, history, revert."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from multidict import MultiDict

from console import schema_form
from console.context import SERVICES
from knowledge_base.template import UNFILLED, template_entry
from bot.nlu.service_matcher import ServiceMatcher
from console_helpers import Browser, config, console, kb_copy, submitted, with_field
from knowledge_base import load_catalogue
from knowledge_base.audit import AuditLog
from knowledge_base.source import kind_of, read_entry
from helpers import ROOT

STAFF = [
    ("editor", "张三", ["editor"]),
    ("reviewer", "李四", ["reviewer"]),
    ("both", "王五", ["editor", "reviewer"]),
    ("analyst", "赵六", ["analyst"]),
]
FEE = "fees.items[0].standard"


def run(coro):
    return asyncio.run(coro)


ENTRY_FILES = sorted((ROOT / "knowledge_base").glob("items/*.yml")) + sorted(
    (ROOT / "knowledge_base").glob("bundles/*.yml")
)


@pytest.mark.parametrize("path", ENTRY_FILES, ids=lambda p: p.stem)
def test_an_untouched_form_gives_the_entry_back_unchanged(path):
    data, kind = read_entry(path), kind_of(path)
    form = MultiDict(submitted(schema_form.build(kind, data)))
    assert schema_form.read(kind, form, data) == data


async def _edit_form(browser: Browser, entry: str = "passport") -> list:
    page = await browser.get(f"/kb/entry/{entry}/edit")
    assert page.status == 200
    kb_dir = browser.client.app[SERVICES].config.kb_dir
    data = read_entry(kb_dir / "items" / f"{entry}.yml")
    for f in submitted(schema_form.build("item", data)):  # every field the generator made is in the page
        assert f'name="{f[0]}"' in page.body_text, f[0]
    return submitted(schema_form.build("item", data))


def _passport_fee(kb_dir: Path) -> str:
    return read_entry(kb_dir / "items" / "passport.yml")["fees"]["items"][0]["standard"]


def test_list_and_search_by_text_family_department_and_kind(tmp_path):
    async def scenario():
        async with console(config(tmp_path, kb_dir=kb_copy(tmp_path)), STAFF) as client:
            browser = Browser(client)
            await browser.login("editor")
            everything = await browser.get("/kb")
            assert "共 100 个" in everything.body_text
            found = await browser.get("/kb?q=护照")
            assert "普通护照签发" in found.body_text and "居民身份证换领" not in found.body_text
            family = await browser.get("/kb?family=id-card")
            assert "共 3 个" in family.body_text
            lookups = await browser.get("/kb?kind=查询")
            assert "共 7 个" in lookups.body_text
            dept = await browser.get("/kb?department=police-exit-entry")
            assert "普通护照签发" in dept.body_text
            analyst = Browser(client)
            await analyst.login("analyst")
            assert (await analyst.get("/kb")).status == 403

    run(scenario())


def test_a_wrong_value_is_shown_at_its_field_as_kb_validate_reports_it_and_nothing_is_saved(tmp_path):
    kb_dir = kb_copy(tmp_path)

    async def scenario():
        async with console(config(tmp_path, kb_dir=kb_dir), STAFF) as client:
            editor = Browser(client)
            await editor.login("editor")
            form = with_field(await _edit_form(editor), "materials[0].copies", "两份")
            form = with_field(form, "local_note", "请咨询窗口")
            response = await editor.post("/kb/entry/passport/edit", form + [("op", "save")])
            assert response.status == 400
            file = kb_dir / "items" / "passport.yml"
            for message in (
                f"{file}: 字段 materials[0].copies: 应为整数，实际是 '两份'",
                f"{file}: 字段 local_note: 须写明“以当地政务服务中心公布为准”",
            ):
                shown = message.replace("'", "&#39;")  # as autoescaped HTML
                assert f'<p class="field-error" role="alert">{shown}</p>' in response.body_text
            assert client.app[SERVICES].drafts.open_drafts() == []

    run(scenario())


def test_materials_rows_are_added_and_removed(tmp_path):
    async def scenario():
        async with console(config(tmp_path, kb_dir=kb_copy(tmp_path)), STAFF) as client:
            editor = Browser(client)
            await editor.login("editor")
            form = await _edit_form(editor)
            rows = dict(form)["materials#rows"]
            added = await editor.post("/kb/entry/passport/edit", form + [("op", "add:materials")])
            assert f'name="materials#rows" value="{int(rows) + 1}"' in added.body_text
            removed = await editor.post("/kb/entry/passport/edit", form + [("op", "remove:materials[0]")])
            assert f'name="materials#rows" value="{int(rows) - 1}"' in removed.body_text
            assert 'value="居民身份证"' not in removed.body_text  # the first row was the ID card

    run(scenario())


def test_an_editors_fee_change_is_a_draft_until_another_reviewer_publishes_it_then_it_can_be_reverted(tmp_path):
    kb_dir = kb_copy(tmp_path)

    async def scenario():
        async with console(config(tmp_path, kb_dir=kb_dir), STAFF) as client:
            editor = Browser(client)
            await editor.login("editor")
            form = with_field(await _edit_form(editor), FEE, "140元/本")
            preview = await editor.post("/kb/entry/passport/edit", form + [("op", "preview")])
            assert "普通护照证件费：140元/本（依据" in preview.body_text
            saved = await editor.post("/kb/entry/passport/edit", form + [("op", "save"), ("note", "调价")])
            assert saved.status == 302
            draft_url = saved.headers["Location"]
            draft = await editor.get(draft_url)
            assert "需由另一位审核人员发布" in draft.body_text and "140元/本" in draft.body_text
            assert _passport_fee(kb_dir) == "120元/本"  # a draft changes nothing the citizen sees
            assert (await editor.post(draft_url + "/publish")).status == 403  # not a reviewer

            reviewer = Browser(client)
            await reviewer.login("reviewer")
            page = await reviewer.get(draft_url)
            assert "发布后群众看到的回答" in page.body_text and "普通护照证件费：140元/本" in page.body_text
            published = await reviewer.post(draft_url + "/publish")
            assert published.status == 302 and _passport_fee(kb_dir) == "140元/本"
            entry = await reviewer.get(published.headers["Location"])
            assert "已发布" in entry.body_text and "未能立即通知运行中的助手" in entry.body_text  # no bot runs here
            record = AuditLog(kb_dir).history("passport")[-1]
            assert record["operator"] == "张三" and record["reviewer"] == "李四"
            today = client.app[SERVICES].config.clock().date().isoformat()
            assert record["changes"] == [
                {"field": FEE, "before": "120元/本", "after": "140元/本"},
                {"field": "reviewed", "before": None, "after": {"date": today, "by": "李四"}},
            ]

            history = await reviewer.get("/kb/entry/passport/history")
            assert "张三（审核发布：李四）" in history.body_text
            reverted = await reviewer.post("/kb/entry/passport/history/0/revert")
            assert reverted.status == 302 and _passport_fee(kb_dir) == "120元/本"
            last = AuditLog(kb_dir).history("passport")[-1]
            assert last["operator"] == "李四" and last["action"].startswith("撤销")
            again = await reviewer.post("/kb/entry/passport/history/0/revert")  # the fee is no longer 140
            assert "不能撤销" in (await reviewer.get(again.headers["Location"])).body_text

    run(scenario())


def test_an_author_with_both_roles_cannot_publish_their_own_draft(tmp_path):
    kb_dir = kb_copy(tmp_path)

    async def scenario():
        async with console(config(tmp_path, kb_dir=kb_dir), STAFF) as client:
            both = Browser(client)
            await both.login("both")
            saved = await both.post(
                "/kb/entry/passport/edit", with_field(await _edit_form(both), FEE, "150元/本") + [("op", "save")]
            )
            draft_url = saved.headers["Location"]
            page = await both.get(draft_url)
            assert "这是您的草稿" in page.body_text and "/publish" not in page.body_text
            refused = await both.post(draft_url + "/publish")
            assert "不能发布自己编写的草稿" in (await both.get(refused.headers["Location"])).body_text
            assert _passport_fee(kb_dir) == "120元/本"

    run(scenario())


def test_a_draft_overtaken_by_a_newer_change_is_not_published(tmp_path):
    kb_dir = kb_copy(tmp_path)

    async def scenario():
        async with console(config(tmp_path, kb_dir=kb_dir), STAFF) as client:
            editor, other = Browser(client), Browser(client)
            await editor.login("editor")
            await other.login("both")
            form = await _edit_form(editor)
            first = await editor.post("/kb/entry/passport/edit", with_field(form, FEE, "140元/本") + [("op", "save")])
            second = await other.post("/kb/entry/passport/edit", with_field(form, FEE, "160元/本") + [("op", "save")])
            reviewer = Browser(client)
            await reviewer.login("reviewer")
            await reviewer.post(second.headers["Location"] + "/publish")
            assert _passport_fee(kb_dir) == "160元/本"
            refused = await reviewer.post(first.headers["Location"] + "/publish")
            assert "已被修改" in (await reviewer.get(refused.headers["Location"])).body_text
            assert _passport_fee(kb_dir) == "160元/本"

    run(scenario())


def test_publishing_and_confirming_record_the_review_and_the_citizen_reads_its_date(tmp_path):
    from console_helpers import Clock
    from knowledge_base import load_catalogue
    from domain_logic import replies

    kb_dir, clock = kb_copy(tmp_path), Clock()

    async def scenario():
        async with console(config(tmp_path, kb_dir=kb_dir, clock=clock, stale_days=180), STAFF) as client:
            reviewer = Browser(client)
            await reviewer.login("reviewer")
            stale = await reviewer.get("/kb/stale")
            assert stale.body_text.count("从未复核") == 100  # no entry has been reviewed yet
            await reviewer.post("/kb/entry/id-card-renewal/reviewed")
            assert read_entry(kb_dir / "items" / "id-card-renewal.yml")["reviewed"] == {
                "date": "2026-12-01",
                "by": "李四",
            }
            assert AuditLog(kb_dir).history("id-card-renewal")[-1]["action"] == "已复核，无变化"
            editor = Browser(client)
            await editor.login("editor")
            saved = await editor.post(
                "/kb/entry/passport/edit", with_field(await _edit_form(editor), FEE, "140元/本") + [("op", "save")]
            )
            clock.advance(days=200)
            await reviewer.login("reviewer")  # 200 days: the session has long expired
            await reviewer.post(saved.headers["Location"] + "/publish")
            assert read_entry(kb_dir / "items" / "passport.yml")["reviewed"] == {"date": "2027-06-19", "by": "李四"}
            stale = await reviewer.get("/kb/stale")
            assert stale.body_text.count("从未复核") == 98
            rows = stale.body_text.split("<tbody>")[1]
            assert "id-card-renewal" in rows and "passport" not in rows  # 200 days old is due, today's is not
            assert rows.index("从未复核") < rows.index("2026-12-01")  # never reviewed first
        passport = load_catalogue(kb_dir).get("passport")
        assert "以当地政务服务中心" in replies.materials(passport)
        assert replies.materials(passport).endswith("（本指南于 2027-06-19 复核）")

    run(scenario())


def test_an_editor_creates_a_new_item_from_the_template_and_another_reviewer_publishes_it(tmp_path):
    kb_dir = kb_copy(tmp_path)
    entry_id, name = "heritage-tree-adoption", "古树名木认养登记"
    filled = {
        "aliases": "认养古树",
        "department": "林业主管部门",
        "department_id": "gov-service",
        "summary": "单位或个人出资认养古树名木、参与日常养护的登记。",
    }

    async def scenario():
        async with console(config(tmp_path, kb_dir=kb_dir), STAFF) as client:
            editor = Browser(client)
            await editor.login("editor")
            assert "新建事项" in (await editor.get("/kb")).body_text
            bad = await editor.post("/kb/new", {"entry_id": "Tree Adoption", "name": name})
            assert bad.status == 400 and "只用小写英文字母" in bad.body_text
            taken = await editor.post("/kb/new", {"entry_id": "passport", "name": name})
            assert taken.status == 400 and "已经存在" in taken.body_text
            started = await editor.post("/kb/new", {"entry_id": entry_id, "name": name})
            assert started.status == 200 and f"新建：{name}" in started.body_text
            form = submitted(schema_form.build("item", template_entry(entry_id, name)))
            for path, _value in form:  # every field of the template is in the page
                assert f'name="{path}"' in started.body_text, path

            unfilled = await editor.post(f"/kb/entry/{entry_id}/edit", form + [("op", "save")])
            assert unfilled.status == 400 and "换成办事指南的内容" in unfilled.body_text
            assert not (kb_dir / "items" / f"{entry_id}.yml").exists()

            form = [(k, filled.get(k, v.replace(UNFILLED, ""))) for k, v in form]
            saved = await editor.post(f"/kb/entry/{entry_id}/edit", form + [("op", "save"), ("note", "新事项")])
            assert saved.status == 302, saved.body_text
            draft_url = saved.headers["Location"]
            assert not (kb_dir / "items" / f"{entry_id}.yml").exists()  # a draft, not yet in service
            assert (await editor.post(draft_url + "/publish")).status == 403

            reviewer = Browser(client)
            await reviewer.login("reviewer")
            draft = await reviewer.get(draft_url)
            assert "发布后群众看到的回答" in draft.body_text and f"「{name}」" in draft.body_text
            published = await reviewer.post(draft_url + "/publish")
            assert published.status == 302 and published.headers["Location"] == f"/kb/entry/{entry_id}"

        catalogue = load_catalogue(kb_dir)
        assert catalogue.errors == [] and catalogue.get(entry_id).name == name
        assert ServiceMatcher(catalogue).match(f"{name}要带什么").service == entry_id
        record = AuditLog(kb_dir).history(entry_id)[-1]
        assert record["operator"] == "张三" and record["reviewer"] == "李四" and "新建事项" in record["action"]

    run(scenario())
