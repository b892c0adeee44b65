"""Importing a region's 事项清单: every record checked first, then each lands where staff expect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from knowledge_base.imports import load_mapping, plan_import, read_export
from knowledge_base.imports.mapping import MappingError
from knowledge_base.imports.plan import SAME
from tools.kb.cli import main as kb

SAMPLE = (
    Path(__file__).resolve().parents[2] / "knowledge_base" / "imports" / "samples" / "guangdong_service_guides.jsonl"
)


def record(code: str, name: str, department: str = "广东省文化和旅游厅", **more) -> dict:
    return {
        "task_code": code,
        "name": name,
        "catalog_name": more.pop("catalog_name", name),
        "department": department,
        "area": "广东省",
        "matter_type": "行政许可",
        "materials": ["申请表", "身份证"],
        "promised_time_limit": "10(工作日)",
        "location": "广州市某区某路1号（示例）",
        "consult_phone": "12345",
        "service_objects": ["自然人"],
        "url": "https://www.gdzwfw.gov.cn/example",
        **more,
    }


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    return path


@pytest.fixture(scope="module")
def mapping():
    return load_mapping("gdzwfw")


def test_every_problem_is_named_by_record_and_field_and_nothing_is_imported(tmp_path, capsys):
    export = write_jsonl(
        tmp_path / "export.jsonl",
        [
            record("A0001", "导游证核发"),
            record("A0002", ""),  # no name
            "{not json",
            record("A0001", "导游证换发"),  # the same 实施编码 again
            record("A 05", "导游证补发", url="ftp://example"),
        ],
    )
    out = tmp_path / "out"
    assert kb(["import-catalogue", str(export), "--out", str(out)]) == 1
    printed = capsys.readouterr().out
    assert "没有导入任何内容" in printed
    assert "第 2 条「name」：必填，但为空" in printed
    assert "第 3 条：不是一条完整的记录" in printed
    assert "第 4 条「task_code」：实施编码与第 1 条重复" in printed
    assert "第 5 条「task_code」" in printed and "第 5 条「url」" in printed
    assert not out.exists()


def test_the_same_fields_are_read_from_an_excel_sheet(tmp_path, mapping):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["task_code", "name", "department", "materials", "service_objects", "location"])
    sheet.append(["B0001", "导游证核发", "广东省文化和旅游厅", "申请表、身份证；照片", "自然人", "广州市某路（示例）"])
    sheet.append([None, None, None, None, None, None])  # a blank row is no record
    sheet.append(["B0002", "港口经营许可", "广东省交通运输厅", None, "企业法人", None])
    book.save(tmp_path / "export.xlsx")
    records, errors = read_export(tmp_path / "export.xlsx", mapping)
    assert errors == []
    assert [r.code for r in records] == ["B0001", "B0002"]
    assert records[0].materials == ("申请表", "身份证", "照片") and records[0].for_citizens
    assert not records[1].for_citizens and records[1].materials == ()


def test_a_record_of_one_of_our_matters_gives_it_local_facts_and_a_lookalike_goes_to_staff(
    catalogue, mapping, tmp_path
):
    passport = catalogue.items["passport"]
    alias = next(a for a in passport.aliases if a != passport.name)
    export = write_jsonl(
        tmp_path / "export.jsonl",
        [
            record("C0001", passport.name, "广州市公安局"),  # our name, the police: the same matter
            record("C0002", alias, "广州市公安局"),  # only an alias: staff say
            record("C0003", passport.name, "广东省文化和旅游厅"),  # our name, another department
            record("C0004", "导游证核发"),  # a matter of its own
        ],
    )
    records, errors = read_export(export, mapping)
    plan = plan_import(records, catalogue, mapping)
    assert errors == []
    assert [r.code for r in plan.local_facts["passport"]] == ["C0001"]
    assert [r.code for r in plan.imported] == ["C0002", "C0003", "C0004"]
    assert {(p.record.code, p.entry_id) for p in plan.uncertain} == {("C0002", "passport"), ("C0003", "passport")}
    assert all(p.why != SAME for p in plan.uncertain)
    # Staff confirm one pair and reject the other: the next import follows them.
    decided = plan_import(records, catalogue, mapping, confirmed={"C0002": "passport", "C0003": None})
    assert [r.code for r in decided.local_facts["passport"]] == ["C0001", "C0002"]
    assert [r.code for r in decided.imported] == ["C0003", "C0004"] and decided.uncertain == []


def test_the_sample_export_imports_as_one_file_per_item_with_an_audit_line(tmp_path, capsys):
    out = tmp_path / "gd"
    assert kb(["import-catalogue", str(SAMPLE), "--out", str(out), "--by", "张三"]) == 0
    printed = capsys.readouterr().out
    assert "2262 条记录全部通过检查" in printed and "待确认：办理及加注普通护照" in printed
    files = list((out / "imported").glob("*.yml"))
    assert len(files) == 2262
    passport = yaml.safe_load((out / "imported" / "11440100007483172Q3440106042001.yml").read_text("utf-8"))
    assert passport["place"] == "越秀区东华东路367号（综合窗）" and passport["source"] == "广东政务服务网"
    assert "fees" not in passport  # the export has no fee: nothing is filled in
    audit = [json.loads(line) for line in (out / "imports.jsonl").read_text("utf-8").splitlines()]
    assert audit[0]["by"] == "张三" and audit[0]["imported"] == 2262 and passport["import"] == audit[0]["id"]
    pairs = yaml.safe_load((out / "uncertain.yml").read_text("utf-8"))
    assert any(p["code"] == "11440100007483172Q3440106042001" and p["entry"] == "passport" for p in pairs)


def test_a_mapping_that_names_an_unknown_field_is_refused_in_words(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("fields: {code: a, name: b, department: c, colour: d}\n", encoding="utf-8")
    with pytest.raises(MappingError, match="不认识的字段 colour"):
        load_mapping(str(bad))
