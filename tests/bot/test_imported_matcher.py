"""Finding a region's imported record in a citizen's sentence, and never in place of one of our guides."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

import bot.nlu.components as components
from bot.nlu.imported_matcher import ANSWER, ASK, ImportedMatcher, name_forms
from knowledge_base.imported import ImportedItem
from tests.knowledge_base.test_catalogue_import import record, write_jsonl
from tools.kb.cli import main as kb


def item(code: str, name: str, audience=("自然人",), department="广东省文化和旅游厅") -> ImportedItem:
    return ImportedItem(
        record=0, code=code, name=name, department=department, audience=tuple(audience), source="广东政务服务网"
    )


RECORDS = [
    item("T1", "导游证核发"),
    item("T2", "导游证换发"),
    item("T3", "分家析产协议公证指引", department="广东省司法厅"),
    item("T4", "省智能机器人研究院机器人产品查询"),
    item("T5", "港口经营许可", audience=("企业法人",)),
]


@pytest.fixture(scope="module")
def matcher():
    return ImportedMatcher(RECORDS)


def test_an_official_name_loses_its_region_brackets_and_closing_verb_in_its_core():
    assert "导游证" in name_forms(item("X", "广东省导游证核发（新申请）"))


def test_a_full_name_in_the_sentence_is_answered(matcher):
    found = matcher.match("导游证换发要带什么")
    assert found.kind == ANSWER and found.ids[0] == "T2"


def test_a_core_that_several_records_share_asks_which_one(matcher):
    found = matcher.match("导游证怎么弄")
    assert found.kind == ASK and set(found.ids) == {"T1", "T2"}


def test_a_resemblance_with_enough_of_the_name_is_found(matcher):
    found = matcher.match("分家产签的协议怎么公证")
    assert found is not None and found.ids[0] == "T3"


def test_a_word_or_two_in_common_is_no_match(matcher):
    assert matcher.match("你是机器人还是真人") is None
    assert matcher.match("今天天气怎么样") is None


def test_an_enterprise_only_record_is_found_by_its_full_name_only(matcher):
    assert matcher.match("港口经营怎么办") is None
    assert matcher.match("港口经营许可要什么材料").ids == ("T5",)


@pytest.fixture
def extractor(tmp_path, monkeypatch):
    export = write_jsonl(
        tmp_path / "export.jsonl",
        [record("P0001", "普通护照加注"), record("P0002", "导游证核发")],
    )
    assert kb(["import-catalogue", str(export), "--out", str(tmp_path / "gd")]) == 0
    monkeypatch.setenv("KB_IMPORTS_DIR", str(tmp_path / "gd"))
    monkeypatch.setattr(components, "_live", {})
    return components.ServiceEntityExtractor({"knowledge_base": None})


def entities(extractor, text: str):
    message = Message(data={"text": text, "intent": {"name": "inquire_service", "confidence": 0.9}})
    extractor.process([message])
    return [(e["entity"], e["value"]) for e in message.get("entities", [])]


def test_our_guide_named_in_the_sentence_wins_over_an_imported_record(extractor):
    assert ("service", "passport") in entities(extractor, "办护照要带什么")


def test_a_matter_we_have_no_guide_for_goes_to_the_imported_record(extractor):
    assert entities(extractor, "导游证核发要带什么") == [("service_candidate", "P0002")]


def test_what_citizens_say_reads_as_the_official_term():
    records = [item("W1", "水产苗种产地检疫"), item("W2", "渔业捕捞许可"), item("W3", "动物产地检疫")]
    plain = ImportedMatcher(records)
    spoken = ImportedMatcher(records, {"水产苗种": ["鱼苗", "虾苗"], "不在名称里的用语": ["随便"]})
    assert plain.match("虾苗检疫找谁") is None  # 检疫 alone is not enough
    found = spoken.match("虾苗检疫找谁")
    assert found is not None and found.kind == ASK and found.ids[0] == "W1"  # read, not said: asked back
    assert spoken.match("随便问问") is None  # a term no imported name uses adds nothing


def test_a_malformed_citizen_words_file_is_an_error_and_the_rest_stays(tmp_path):
    from knowledge_base.citizen_words import FILE, load_citizen_words

    (tmp_path / FILE).parent.mkdir(parents=True)
    (tmp_path / FILE).write_text("水产苗种: [鱼苗]\n残疾人证: 残疾证\n", encoding="utf-8")
    words, errors = load_citizen_words(tmp_path)
    assert words == {"水产苗种": ("鱼苗",)}
    assert len(errors) == 1 and "残疾人证" in str(errors[0])
    (tmp_path / FILE).write_text("{不是: [yaml", encoding="utf-8")
    assert load_citizen_words(tmp_path)[0] == {} and "无法读取" in str(load_citizen_words(tmp_path)[1][0])
