"""The checklist logic without Rasa: questions, answers, the sheet and saved progress."""

from __future__ import annotations

import dataclasses
import time
import uuid

import pytest

from domain_logic.checklist.plan import (
    MISSING,
    READY,
    UNKNOWN,
    UNSURE,
    Progress,
    materials_for,
    next_step,
    questions_for,
)
from domain_logic.checklist.sheet import build_guide_sheet, build_sheet, to_html_page, to_telegram_html, to_text
from domain_logic.checklist.store import ProgressStore
from domain_logic.checklist.understand import read_option, read_statuses
from common.privacy import mask_personal_data


def names(entry, answers):
    return [bm.material.name for bm in materials_for(entry, answers)]


def test_only_questions_that_change_the_list_are_asked(catalogue):
    passport = catalogue.get("passport")
    assert [q.id for q in questions_for(passport, catalogue)] == ["applicant", "has_old_passport", "minor"]


def test_agent_materials_appear_only_when_someone_else_applies(catalogue):
    passport = catalogue.get("passport")
    assert "授权委托书" not in names(passport, {"applicant": "本人办理"})
    assert "授权委托书" in names(passport, {"applicant": "委托他人"})
    assert "授权委托书" in names(passport, {"applicant": UNKNOWN})  # unsure: keep it listed


def test_bundle_asks_shared_questions_once_and_lists_shared_materials_once(catalogue):
    bundle = catalogue.get("bundle-newborn")
    ids = [q.id for q in questions_for(bundle, catalogue)]
    assert ids.count("applicant") == 1
    assert "newborn" not in ids  # implied by the life event
    listed = names(bundle, {"applicant": "本人办理", "marital": "已婚"})
    assert listed.count("父母双方居民身份证") == 1
    assert "结婚证" in listed and "非婚生育情况说明" not in listed


def test_steps_go_questions_first_then_materials(catalogue):
    passport = catalogue.get("passport")
    progress = Progress("passport")
    assert next_step(passport, catalogue, progress).question.id == "applicant"
    progress.answers.update({"applicant": "本人办理", "has_old_passport": "没有", "minor": "否"})
    assert next_step(passport, catalogue, progress).needed.material.name == "居民身份证"
    progress.statuses.update({"居民身份证": READY, "出入境证件相片": READY})
    assert next_step(passport, catalogue, progress).done


@pytest.mark.parametrize(
    "text, expected",
    [
        ("本人办理", "本人办理"),
        ("我自己去", "本人办理"),
        ("让我爱人帮我办", "委托他人"),
        ("2", "委托他人"),
        ("不知道", UNKNOWN),
        ("随便吧", None),
        ("", None),
    ],
)
def test_reading_the_applicant_answer(catalogue, text, expected):
    assert read_option(text, catalogue.shared_questions["applicant"]) == expected


def test_yes_no_answers_read_the_negation_first(catalogue):
    minor = next(q for q in catalogue.get("passport").questions if q.id == "minor")
    assert read_option("不是", minor) == "否"
    assert read_option("是的", minor) == "是"


def test_several_materials_answered_at_once():
    pending = ["居民身份证", "出入境证件相片", "授权委托书"]
    assert read_statuses("都有了，就是没有照片", "居民身份证", pending) == {
        "居民身份证": READY,
        "出入境证件相片": MISSING,
        "授权委托书": READY,
    }
    assert read_statuses("除了委托书都有", "居民身份证", pending) == {
        "居民身份证": READY,
        "出入境证件相片": READY,
        "授权委托书": MISSING,
    }
    assert read_statuses("还没有", "居民身份证", pending) == {"居民身份证": MISSING}
    assert read_statuses("不确定", "居民身份证", pending) == {"居民身份证": UNSURE}
    assert read_statuses("今天天气不错", "居民身份证", pending) is None


def test_sheet_verdict_and_marks(catalogue):
    progress = Progress(
        "passport",
        {"applicant": "本人办理", "has_old_passport": "没有", "minor": "否"},
        {"居民身份证": READY, "出入境证件相片": MISSING},
    )
    sheet = build_sheet(catalogue.get("passport"), progress)
    text = to_text(sheet)
    assert "✓ 已备好：居民身份证（原件，现场核验）" in text
    assert "✗ 还缺：出入境证件相片（原件 1份）" in text
    assert "获取：受理大厅现场免费照相" in text
    assert "结论：还缺 1 项：出入境证件相片" in text
    assert "120元" in text and "承诺办结时限：7个工作日" in text

    progress.statuses["出入境证件相片"] = READY
    assert build_sheet(catalogue.get("passport"), progress).verdict == "材料齐全，可一次办结。"


def test_bundle_sheet_groups_by_window(catalogue):
    progress = Progress(
        "bundle-newborn",
        {
            "applicant": "本人办理",
            "hukou_local": "是",
            "marital": "已婚",
            "birth_place": "医疗机构内",
            "born_in_hospital": "已取得",
            "hardship": "否",
        },
    )
    text = to_text(build_sheet(catalogue.get("bundle-newborn"), progress))
    assert "▍出生医学证明办理 窗口" in text and "▍出生登记（新生儿申报户口） 窗口" in text
    listed = [line for line in text.splitlines() if line and line[0] in "✓✗？" and "父母双方居民身份证" in line]
    assert len(listed) == 1


def test_renderings_escape_markup_and_mask_numbers(catalogue):
    progress = Progress("passport", {"applicant": "本人办理", "has_old_passport": "没有", "minor": "否"}, {})
    sheet = build_sheet(catalogue.get("passport"), progress)
    page = to_html_page(sheet)
    assert page.startswith("<!doctype html>") and "@media print" in page and "http" not in page
    telegram = to_telegram_html(sheet)
    assert "<b>一次性告知单：普通护照签发</b>" in telegram
    assert (
        mask_personal_data("身份证号 110105199001010123，电话 13800138000")
        == "身份证号 110105********0123，电话 138****8000"
    )


def test_store_saves_resumes_expires_and_forgets(tmp_path):
    store = ProgressStore(f"sqlite:///{tmp_path / 'c.db'}", ttl_days=30)
    store.save("citizen-1", Progress("passport", {"applicant": "本人办理"}))
    assert store.load("citizen-1").answers == {"applicant": "本人办理"}
    assert store.load("citizen-2") is None
    with store.engine.connect() as conn:
        keys = [r[0] for r in conn.exec_driver_sql("select sender_key from checklist_progress")]
    assert keys and "citizen-1" not in keys[0]  # the raw sender id is never stored

    short = ProgressStore(f"sqlite:///{tmp_path / 'c.db'}", ttl_days=0.5 / 86400)
    time.sleep(1)
    assert short.load("citizen-1") is None  # expired
    short.save("citizen-4", Progress("passport"))  # and deleted from the database by the next save
    with store.engine.connect() as conn:
        assert (
            conn.exec_driver_sql(
                "select count(*) from checklist_progress where sender_key = ?", (store.key("citizen-1"),)
            ).scalar()
            == 0
        )

    store.save("citizen-3", Progress("passport"))
    assert store.delete("citizen-3") == 1 and store.load("citizen-3") is None


def test_a_step_saved_while_the_database_is_away_waits_locally_and_never_overwrites_a_newer_one(tmp_path):
    import psycopg2

    from common.spool import Spool

    db = f"zhengwu_progress_{uuid.uuid4().hex[:8]}"
    url = f"postgresql://postgres@127.0.0.1:5432/{db}"
    spool = Spool(f"sqlite:///{tmp_path / 'spool.db'}")
    store = ProgressStore(url, spool=spool)  # the database does not exist yet: unreachable
    store.save("citizen-1", Progress("passport", {"applicant": "本人办理"}))
    store.save("citizen-2", Progress("passport", {"applicant": "本人办理"}))
    assert store.load("citizen-1").answers == {"applicant": "本人办理"}, "the step counts at once"
    assert len(spool.waiting("checklist")) == 2

    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(f'create database "{db}"')
        time.sleep(0.01)
        ProgressStore(url).save("citizen-1", Progress("passport", {"applicant": "委托他人"}))  # a newer step
        assert store.drain() == 2 and spool.waiting("checklist") == []
        assert store.load("citizen-1").answers == {"applicant": "委托他人"}, "the older spooled step lost"
        assert store.load("citizen-2").answers == {"applicant": "本人办理"}, "the spooled step went in"
        assert store.drain() == 0

        store.spool.put(
            "checklist",
            f"{store.key('citizen-2')}|hukou-transfer",
            {
                "sender_key": store.key("citizen-2"),
                "entry_id": "hukou-transfer",
                "state": "{}",
                "updated_at": time.time(),
            },
        )
        assert store.delete("citizen-2") == 2, "both checklists deleted, in the database and in the spool"
        assert store.load("citizen-2") is None and spool.waiting("checklist") == []
    finally:
        store.engine.dispose()
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{db}" with (force)')
        admin.close()


def test_the_printed_sheet_says_when_staff_last_reviewed_the_guide(catalogue):
    passport = dataclasses.replace(catalogue.get("passport"), reviewed_on="2026-11-20")
    progress = Progress("passport", {"applicant": "本人办理", "has_old_passport": "没有", "minor": "否"}, {})
    for rendered in (to_text, to_html_page):
        page = rendered(build_sheet(passport, progress))
        assert "公布为准。（本指南于 2026-11-20 复核）" in page


def test_a_guide_to_take_away_lists_every_material_to_prepare_and_claims_nothing_checked(catalogue):
    sheet = build_guide_sheet(catalogue.get("passport"))
    text = to_text(sheet)
    assert "【办事指南：普通护照签发】" in text
    assert "□ 待准备：居民身份证（原件，现场核验）" in text
    assert "□ 待准备：旧护照" in text  # a material that depends on the case stays, marked 〔视情况〕
    assert "齐全" not in text and "尚未逐项核对" in text
    assert "以当地" in text
    page = to_html_page(sheet)
    assert "<h1>办事指南：普通护照签发</h1>" in page and "办理地点" in page


def test_a_bundles_guide_to_take_away_lists_a_shared_material_once(catalogue):
    bundle = next(b for b in catalogue.bundles.values() if len(b.members) > 1)
    text = to_text(build_guide_sheet(bundle))
    for bm in bundle.materials:
        assert text.count(f"□ 待准备：{bm.material.name}（") == 1
