"""Importing a newer export again: what changed is updated, staff's hand edits are kept, a record both
changed waits for a second person, and any import can be undone by its audit id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.knowledge_base.test_catalogue_import import record, write_jsonl
from tools.kb.cli import main as kb


def audit(out: Path):
    return [json.loads(line) for line in (out / "imports.jsonl").read_text("utf-8").splitlines()]


def imported(out: Path, code: str) -> dict:
    return yaml.safe_load((out / "imported" / f"{code}.yml").read_text("utf-8"))


def staff_edits(out: Path, code: str, **changes) -> None:
    path = out / "imported" / f"{code}.yml"
    data = {**yaml.safe_load(path.read_text("utf-8")), **changes}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def first_import(tmp_path):
    out = tmp_path / "gd"
    export = write_jsonl(
        tmp_path / "v1.jsonl",
        [
            record("D0001", "导游证核发", consult_phone="020-00000001"),
            record("D0002", "导游证换发", consult_phone="020-00000002"),
            record("D0003", "导游证补发", consult_phone="020-00000003"),
        ],
    )
    assert kb(["import-catalogue", str(export), "--out", str(out), "--by", "张三"]) == 0
    return out


def test_a_newer_export_updates_what_changed_and_keeps_a_staff_edit(first_import, tmp_path, capsys):
    out = first_import
    staff_edits(out, "D0002", place="广州市天河区某路2号（工作人员核实）")
    newer = write_jsonl(
        tmp_path / "v2.jsonl",
        [
            record("D0001", "导游证核发", consult_phone="020-99999999"),  # the export changed it
            record("D0002", "导游证换发", consult_phone="020-00000002"),  # unchanged; staff edited it
            record("D0003", "导游证补发", consult_phone="020-00000003"),
            record("D0004", "导游证注销"),  # new
        ],
    )
    capsys.readouterr()
    assert kb(["import-catalogue", str(newer), "--out", str(out), "--by", "张三"]) == 0
    printed = capsys.readouterr().out
    assert "新增 1，更新 1，未变 1，保留工作人员修改 1，冲突待复核 0" in printed
    assert imported(out, "D0001")["consult_phone"] == "020-99999999"
    assert imported(out, "D0002")["place"] == "广州市天河区某路2号（工作人员核实）"
    assert (out / "imported" / "D0004.yml").exists()
    lines = audit(out)
    assert [line["by"] for line in lines] == ["张三", "张三"]
    assert lines[1]["updated"] == 1 and lines[1]["kept_staff_edit"] == 1 and lines[1]["new"] == 1


def test_a_record_both_changed_is_queued_and_a_second_person_decides(first_import, tmp_path, capsys):
    out = first_import
    staff_edits(out, "D0001", consult_phone="020-11111111")
    newer = write_jsonl(tmp_path / "v2.jsonl", [record("D0001", "导游证核发", consult_phone="020-22222222")])
    assert kb(["import-catalogue", str(newer), "--out", str(out), "--by", "张三"]) == 0
    assert "冲突待复核 1" in capsys.readouterr().out
    assert imported(out, "D0001")["consult_phone"] == "020-11111111"  # staff's version stays in service

    assert kb(["import-conflicts", "--out", str(out)]) == 0
    queue = capsys.readouterr().out
    assert "D0001" in queue and "consult_phone" in queue and "020-22222222" in queue

    # The importer may not decide their own import's conflict.
    assert kb(["import-conflicts", "D0001", "--keep", "export", "--out", str(out), "--by", "张三"]) == 1
    assert "双人复核" in capsys.readouterr().err
    assert kb(["import-conflicts", "D0001", "--keep", "export", "--out", str(out), "--by", "李四"]) == 0
    assert imported(out, "D0001")["consult_phone"] == "020-22222222"
    assert kb(["import-conflicts", "--out", str(out)]) == 0
    assert "复核队列是空的" in capsys.readouterr().out
    assert audit(out)[-1]["resolved"] == "D0001" and audit(out)[-1]["by"] == "李四"


def test_keeping_the_staff_version_is_not_asked_again_for_the_same_export(first_import, tmp_path, capsys):
    out = first_import
    staff_edits(out, "D0001", consult_phone="020-11111111")
    newer = write_jsonl(tmp_path / "v2.jsonl", [record("D0001", "导游证核发", consult_phone="020-22222222")])
    assert kb(["import-catalogue", str(newer), "--out", str(out), "--by", "张三"]) == 0
    assert kb(["import-conflicts", "D0001", "--keep", "staff", "--out", str(out), "--by", "李四"]) == 0
    capsys.readouterr()
    assert kb(["import-catalogue", str(newer), "--out", str(out), "--by", "张三"]) == 0
    assert "保留工作人员修改 1，冲突待复核 0" in capsys.readouterr().out
    assert imported(out, "D0001")["consult_phone"] == "020-11111111"


def test_erasing_an_import_by_its_id_gives_back_what_it_replaced(first_import, tmp_path, capsys):
    out = first_import
    newer = write_jsonl(
        tmp_path / "v2.jsonl",
        [record("D0001", "导游证核发", consult_phone="020-99999999"), record("D0004", "导游证注销")],
    )
    assert kb(["import-catalogue", str(newer), "--out", str(out), "--by", "张三"]) == 0
    second = audit(out)[-1]["id"]
    capsys.readouterr()
    assert kb(["erase-import", second, "--out", str(out), "--by", "李四"]) == 0
    assert "删除 1 个文件，恢复 1 个" in capsys.readouterr().out
    assert not (out / "imported" / "D0004.yml").exists()
    assert imported(out, "D0001")["consult_phone"] == "020-00000001"  # the first import's version
    assert audit(out)[-1]["erased"] == second
    assert kb(["erase-import", second, "--out", str(out)]) == 1  # once only
    assert "已经撤销过了" in capsys.readouterr().err

    first = audit(out)[0]["id"]
    assert kb(["erase-import", first, "--out", str(out), "--by", "李四"]) == 0
    assert list((out / "imported").glob("*.yml")) == []


def test_an_import_id_that_does_not_exist_is_refused_and_nothing_is_removed(first_import, capsys):
    assert kb(["erase-import", "imp-19990101000000-000000", "--out", str(first_import)]) == 1
    assert "没有导入编号为 imp-19990101000000-000000 的导入" in capsys.readouterr().err
    assert len(list((first_import / "imported").glob("*.yml"))) == 3


def test_a_file_staff_edited_is_kept_when_its_import_is_erased(first_import, capsys):
    out = first_import
    staff_edits(out, "D0003", place="工作人员补充的地址（示例）")
    assert kb(["erase-import", audit(out)[0]["id"], "--out", str(out), "--by", "李四"]) == 0
    assert "1 个文件有工作人员的手工修改，未删除（D0003）" in capsys.readouterr().out
    assert [p.stem for p in (out / "imported").glob("*.yml")] == ["D0003"]
