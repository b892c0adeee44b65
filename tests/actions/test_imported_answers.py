"""A region's imported record answered as the citizen reads it: what the record holds, its official
guide and phone, the local guide prevailing, and no checklist."""

from __future__ import annotations

import pytest

import actions.answer_question as answer_question
import actions.checklist_flow as checklist_flow
from actions.answer_question import ActionAnswerQuestion
from actions.checklist_flow import ActionChecklistStart
from common import settings
from knowledge_base import load_catalogue
from tests.actions.test_actions import run, tracker
from tests.knowledge_base.test_catalogue_import import record, write_jsonl
from tools.kb.cli import main as kb

GUIDE = "导游证核发"


@pytest.fixture
def region(tmp_path, monkeypatch):
    """Our catalogue with two imported records, as the action server sees it on a profile."""
    export = write_jsonl(
        tmp_path / "export.jsonl",
        [
            record("G0001", GUIDE, materials=["导游证申请表", "身份证"], consult_phone="020-00000000（示例）"),
            record("G0002", "港口经营许可", fees=None, materials=[], service_objects=["企业法人"]),
        ],
    )
    out = tmp_path / "gd"
    assert kb(["import-catalogue", str(export), "--out", str(out)]) == 0
    catalogue = load_catalogue(settings.kb_dir(), imports=out)
    for module in (answer_question, checklist_flow):
        monkeypatch.setattr(module, "catalogue", lambda: catalogue)
    return catalogue


def candidate(code: str, source: str = "imported_answer") -> dict:
    return {"entity": "service_candidate", "value": code, "confidence": 0.9, "score": 1.0, "source": source}


def test_the_materials_are_what_the_record_lists_with_its_link_and_the_local_guide_prevailing(region):
    said, events = run(ActionAnswerQuestion(), tracker("ask_materials", [candidate("G0001")], text="导游证要带什么"))
    text = said[0]["text"]
    assert f"「{GUIDE}」清单记录中列出的申请材料" in text
    assert "1. 导游证申请表\n2. 身份证" in text
    assert "要几份，记录中没有写" in text  # nothing is invented
    assert "https://www.gdzwfw.gov.cn/example" in text and "020-00000000（示例）" in text
    assert "以当地政务服务中心公布为准" in text and "事项编码 G0001" in text
    titles = [b["title"] for b in said[0]["buttons"]]
    assert "开始准备材料" not in titles and "办理地点" in titles and "评价本次服务" in titles
    assert {"event": "slot", "name": "service", "value": "G0001"} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events
    ]


def test_a_fee_the_record_does_not_state_is_not_called_free(region):
    said, _ = run(ActionAnswerQuestion(), tracker("ask_fee", [candidate("G0002")], text="港口经营许可收费吗"))
    assert "没有写收费信息（没有写不等于不收费）" in said[0]["text"]


def test_a_follow_up_asks_about_the_record_in_context(region):
    said, _ = run(ActionAnswerQuestion(), tracker("ask_location", slot="G0001", text="在哪里办"))
    assert f"「{GUIDE}」办理地点：广东省文化和旅游厅：广州市某区某路1号（示例）" in said[0]["text"]


def test_records_that_are_equally_likely_are_asked_about_with_their_names(region):
    ask = [candidate("G0001", "imported_ask"), candidate("G0002", "imported_ask")]
    said, _ = run(ActionAnswerQuestion(), tracker("inquire_service", ask, text="许可怎么办"))
    assert [b["title"] for b in said[0]["buttons"]][:2] == [GUIDE, "港口经营许可"]


def test_preparing_an_imported_record_says_there_is_no_checklist_and_lists_its_materials(region):
    said, _ = run(ActionChecklistStart(), tracker("start_checklist", slot="G0001", text="开始准备材料"))
    assert "不能陪您逐项准备" in said[0]["text"]
    assert "1. 导游证申请表" in said[1]["text"]


def test_how_to_do_it_says_the_record_has_no_steps_and_gives_what_it_has(region):
    said, _ = run(ActionAnswerQuestion(), tracker("ask_process", [candidate("G0001")], text="导游证核发怎么办"))
    text = said[0]["text"]
    assert "没有写办理步骤" in text and "清单列出 2 项申请材料" in text and "办理地点：" in text
