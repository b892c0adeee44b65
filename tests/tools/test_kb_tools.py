"""The staff's `kb` tool, run as staff run it (python -m tools.kb …), on a copy of the knowledge base."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Dict, List

import pytest
import yaml

from helpers import ROOT

KB = ROOT / "knowledge_base"


@pytest.fixture
def kb_copy(tmp_path) -> Path:
    root = tmp_path / "kb"
    shutil.copytree(KB, root, ignore=shutil.ignore_patterns("__pycache__", "*.py", "history.jsonl", "drafts"))
    return root


def kb(root: Path, *args: str, by: str = "张三", db: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "KB_OPERATOR": by}
    if db:
        env["DATABASE_URL"] = db
    result = subprocess.run(
        [sys.executable, "-m", "tools.kb", *args, "--root", str(root)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


def digest(root: Path) -> Dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*.yml"))}


def item(root: Path, entry_id: str) -> dict:
    return yaml.safe_load((root / "items" / f"{entry_id}.yml").read_text(encoding="utf-8"))


# ---- validate ----------------------------------------------------------
def test_validate_reports_every_error_in_every_file_with_line_and_field(kb_copy):
    passport = kb_copy / "items" / "passport.yml"
    passport.write_text(
        passport.read_text(encoding="utf-8").replace("form: 原件\n", "form: 原本\n", 1), encoding="utf-8"
    )
    marriage = kb_copy / "items" / "marriage-registration.yml"
    text = marriage.read_text(encoding="utf-8")
    marriage.write_text("\n".join(l for l in text.splitlines() if not l.startswith("summary:")), encoding="utf-8")
    (kb_copy / "items" / "hukou-transfer.yml").write_text("id: hukou-transfer\nname: [unclosed\n", encoding="utf-8")
    social = kb_copy / "items" / "social-security-card.yml"
    social.write_text(social.read_text(encoding="utf-8").replace("copies: 1", "copies: 两份", 1), encoding="utf-8")

    result = kb(kb_copy, "validate")
    assert result.returncode == 1
    out = result.stdout
    line_of_form = next(
        n for n, l in enumerate(passport.read_text(encoding="utf-8").splitlines(), 1) if "form: 原本" in l
    )
    assert f"passport.yml:{line_of_form}: 字段 materials[0].form: 取值 '原本' 不在允许的范围内" in out
    assert "marriage-registration.yml" in out and "字段 summary: 缺少必填字段 summary" in out
    assert "hukou-transfer.yml:3: 字段 （整个文件）: YAML 格式错误" in out
    assert "social-security-card.yml" in out and ".copies: 应为整数，实际是 '两份'" in out
    # and what follows from it: the bundle that needs that item
    assert "bundle-newborn.yml: 字段 members: 找不到事项：social-security-card" in out
    assert out.startswith("发现 5 处错误")


def test_validate_passes_on_the_real_knowledge_base():
    result = subprocess.run(
        [sys.executable, "-m", "tools.kb", "validate"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and "通过校验" in result.stdout


# ---- list / show ---------------------------------------------------------
def test_show_prints_what_a_citizen_would_read(kb_copy):
    result = kb(kb_copy, "show", "passport")
    assert result.returncode == 0
    assert "办理「普通护照签发」需要准备：" in result.stdout and "普通护照证件费：120元/本" in result.stdout
    assert kb(kb_copy, "show", "no-such-item").returncode == 1
    listing = kb(kb_copy, "list").stdout
    assert "passport" in listing and "共 95 个事项、5 个“一件事”" in listing


# ---- the workbook ------------------------------------------------------------
def test_an_untouched_workbook_changes_nothing(kb_copy, tmp_path):
    before = digest(kb_copy)
    assert kb(kb_copy, "export", "--xlsx", str(tmp_path / "kb.xlsx")).returncode == 0
    result = kb(kb_copy, "import", "--xlsx", str(tmp_path / "kb.xlsx"), "--apply")
    assert result.returncode == 0 and result.stdout.strip() == "没有变化。"
    assert digest(kb_copy) == before
    assert kb(kb_copy, "export", "--csv", str(tmp_path / "csv")).returncode == 0
    assert kb(kb_copy, "import", "--csv", str(tmp_path / "csv"), "--apply").stdout.strip() == "没有变化。"
    assert digest(kb_copy) == before


def edit_workbook(path: Path, edits) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path)
    edits(book)
    book.save(path)


def find_row(sheet, **match) -> int:
    headers = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        values = {h: c.value for h, c in zip(headers, row)}
        if all(values.get(k) == v for k, v in match.items()):
            return row[0].row
    raise AssertionError(f"no row {match}")


def column(sheet, title: str) -> int:
    return [c.value for c in sheet[1]].index(title) + 1


def test_importing_an_edited_workbook_shows_the_exact_diff_then_applies_it(kb_copy, tmp_path):
    book = tmp_path / "kb.xlsx"
    kb(kb_copy, "export", "--xlsx", str(book))

    def edits(wb):
        fees = wb["收费"]
        fees.cell(find_row(fees, 事项编码="passport"), column(fees, "收费标准")).value = "140元/本"
        materials = wb["材料"]
        row = find_row(materials, 事项编码="passport", 材料名称="出入境证件相片")
        materials.cell(row, column(materials, "份数")).value = 2
        words = wb["别名和常见问题"]
        words.append(["passport", "普通护照签发", "别名", "出国证件", None])

    edit_workbook(book, edits)
    before = digest(kb_copy)
    preview = kb(kb_copy, "import", "--xlsx", str(book))
    assert preview.returncode == 0
    assert preview.stdout.splitlines()[:4] == [
        "passport:",
        "  aliases: 新增 '出国证件'",
        "  materials[1].copies: 1 → 2",
        "  fees.items[0].standard: '120元/本' → '140元/本'",
    ]
    assert "加 --apply 写入" in preview.stdout
    assert digest(kb_copy) == before, "a dry run writes nothing"

    applied = kb(kb_copy, "import", "--xlsx", str(book), "--apply", by="李四")
    assert applied.returncode == 0 and "已写入 1 个事项" in applied.stdout
    passport = item(kb_copy, "passport")
    assert passport["fees"]["items"][0]["standard"] == "140元/本"
    assert passport["materials"][1]["copies"] == 2 and passport["aliases"][-1] == "出国证件"
    assert passport["questions"], "the questionnaire, not in the workbook, is kept"
    assert kb(kb_copy, "validate").returncode == 0
    assert kb(kb_copy, "import", "--xlsx", str(book)).stdout.strip() == "没有变化。"

    history = kb(kb_copy, "history", "passport").stdout
    assert "李四  passport  import kb.xlsx" in history
    assert "fees.items[0].standard: '120元/本' → '140元/本'" in history


def test_a_workbook_with_mistakes_is_refused_whole_with_sheet_and_row(kb_copy, tmp_path):
    book = tmp_path / "kb.xlsx"
    kb(kb_copy, "export", "--xlsx", str(book))
    rows = {}

    def edits(wb):
        materials = wb["材料"]
        rows["copies"] = find_row(materials, 事项编码="passport", 材料名称="出入境证件相片")
        materials.cell(rows["copies"], column(materials, "份数")).value = "两份"
        rows["form"] = find_row(materials, 事项编码="marriage-registration", 序号=1)
        materials.cell(rows["form"], column(materials, "材料类型")).value = "原本"
        fees = wb["收费"]
        fees.cell(find_row(fees, 事项编码="passport"), column(fees, "收费标准")).value = "999元"

    edit_workbook(book, edits)
    before = digest(kb_copy)
    result = kb(kb_copy, "import", "--xlsx", str(book), "--apply")
    assert result.returncode == 1
    assert f"kb.xlsx[材料]:{rows['copies']}: 字段 份数: 应为整数，实际是 '两份'" in result.stdout
    assert (
        f"kb.xlsx[材料]:{rows['form']}: 字段 marriage-registration.materials[0].form: 取值 '原本' 不在允许的范围内"
    ) in result.stdout
    assert "没有写入任何内容" in result.stdout
    assert digest(kb_copy) == before, "not even the good edit (the fee) is written"


# ---- small edits, templates and the audit trail ---------------------------------
def test_alias_faq_new_and_publish_are_recorded(kb_copy):
    assert kb(kb_copy, "add-alias", "passport", "出国小本本").returncode == 0
    assert "出国小本本" in item(kb_copy, "passport")["aliases"]
    assert kb(kb_copy, "add-faq", "passport", "--q", "护照能加急吗？", "--a", "符合条件的可申请加急。").returncode == 0
    assert item(kb_copy, "passport")["faq"][-1] == {"q": "护照能加急吗？", "a": "符合条件的可申请加急。"}

    assert kb(kb_copy, "new", "dog-license", "--name", "养犬登记").returncode == 0
    draft = kb_copy / "drafts" / "dog-license.yml"
    assert draft.exists() and not (kb_copy / "items" / "dog-license.yml").exists()
    refused = kb(kb_copy, "publish", "dog-license")
    assert refused.returncode == 1 and "待填写" in refused.stderr
    draft.write_text(draft.read_text(encoding="utf-8").replace("（待填写）", ""), encoding="utf-8")
    assert kb(kb_copy, "publish", "dog-license", by="王五").returncode == 0
    assert item(kb_copy, "dog-license")["name"] == "养犬登记" and not draft.exists()
    assert kb(kb_copy, "validate").returncode == 0

    history = kb(kb_copy, "history").stdout.splitlines()
    entries = [l for l in history if not l.startswith(" ")]
    assert [l.split("  ")[1:] for l in entries] == [
        ["张三", "passport", "add-alias"],
        ["张三", "passport", "add-faq"],
        ["张三", "dog-license", "new (draft)"],
        ["王五", "dog-license", "publish"],
    ]
    assert all(datetime.fromisoformat(l.split("  ")[0]) for l in entries)
    assert "    aliases: 新增 '出国小本本'" in history


def test_a_draft_with_a_yaml_mistake_is_reported_with_its_line_and_not_published(kb_copy):
    assert kb(kb_copy, "new", "dog-license", "--name", "养犬登记").returncode == 0
    draft = kb_copy / "drafts" / "dog-license.yml"
    text = draft.read_text(encoding="utf-8").replace("（待填写）", "")
    draft.write_text(text.replace("name: 养犬登记", "name: [养犬登记", 1), encoding="utf-8")  # a hurried edit

    validate = kb(kb_copy, "validate")
    assert validate.returncode == 1 and "dog-license.yml" in validate.stdout and "YAML 格式错误" in validate.stdout
    publish = kb(kb_copy, "publish", "dog-license")
    assert publish.returncode == 1 and "YAML 格式错误" in publish.stdout
    assert draft.exists() and not (kb_copy / "items" / "dog-license.yml").exists()


def test_an_edit_that_would_break_the_item_is_not_written(kb_copy):
    before = digest(kb_copy)
    result = kb(kb_copy, "add-faq", "passport", "--q", "  ", "--a", "随便")
    assert result.returncode == 1 and "faq" in result.stdout and "不能为空" in result.stdout
    assert digest(kb_copy) == before


# ---- the inbox -----------------------------------------------------------------
@pytest.fixture
def inbox_db(tmp_path) -> str:
    from domain_logic.inbox.store import InboxStore

    url = f"sqlite:///{tmp_path / 'feedback.db'}"
    store = InboxStore(url)
    for text, intent, service in [
        ("护照加急要多少钱", "ask_fee", "passport"),
        ("狗狗怎么上户口", "inquire_service", None),
        ("护照加急多少钱呀", "ask_fee", "passport"),
        ("办护照加急要多少钱", "ask_fee", None),
        ("我的电话13812345678帮我查一下", "nlu_fallback", None),
    ]:
        store.log_unanswered(text, intent, service, "telegram")
    return url


def inbox_ids(url: str) -> List[int]:
    from domain_logic.inbox.store import InboxStore

    return [e["id"] for e in InboxStore(url).inbox()]


def test_the_inbox_groups_similar_questions_and_masks_numbers(kb_copy, inbox_db):
    out = kb(kb_copy, "inbox", db=inbox_db).stdout
    assert "待处理 5 条，3 组" in out
    first = out.split("第 1 组 · 3 条")[1].split("第 2 组")[0]
    assert "护照加急要多少钱" in first and "护照加急多少钱呀" in first and "办护照加急要多少钱" in first
    assert "狗狗怎么上户口" not in first
    assert "13812345678" not in out and "138****5678" in out


def test_inbox_entries_become_aliases_faq_or_examples_and_leave_the_inbox(kb_copy, inbox_db, tmp_path):
    ids = inbox_ids(inbox_db)
    result = kb(kb_copy, "inbox", "alias", str(ids[1]), "--item", "passport", "--text", "狗证", db=inbox_db)
    assert result.returncode == 0 and "狗证" in item(kb_copy, "passport")["aliases"]

    result = kb(
        kb_copy,
        "inbox",
        "faq",
        str(ids[0]),
        str(ids[2]),
        "--item",
        "passport",
        "--answer",
        "加急另行收费，以当地公布为准。",
        db=inbox_db,
    )
    assert result.returncode == 0
    assert item(kb_copy, "passport")["faq"][-1] == {"q": "护照加急要多少钱", "a": "加急另行收费，以当地公布为准。"}

    nlu = tmp_path / "from_inbox.yml"
    result = kb(kb_copy, "inbox", "example", str(ids[3]), "--intent", "ask_fee", "--nlu-file", str(nlu), db=inbox_db)
    assert result.returncode == 0
    data = yaml.safe_load(nlu.read_text(encoding="utf-8"))
    assert data["nlu"] == [{"intent": "ask_fee", "examples": "- 办护照加急要多少钱\n"}]
    assert (
        kb(
            kb_copy, "inbox", "example", str(ids[4]), "--intent", "no_such_intent", "--nlu-file", str(nlu), db=inbox_db
        ).returncode
        == 1
    )

    assert kb(kb_copy, "inbox", "dismiss", str(ids[4]), db=inbox_db).returncode == 0
    assert inbox_ids(inbox_db) == []
    assert "收件箱是空的" in kb(kb_copy, "inbox", db=inbox_db).stdout
    again = kb(kb_copy, "inbox", "dismiss", str(ids[4]), db=inbox_db)
    assert again.returncode == 1 and "可能已处理" in again.stderr
    assert "张三  passport  add-alias" in kb(kb_copy, "history", "passport").stdout


def test_training_data_is_generated_from_the_knowledge_base(kb_copy, tmp_path):
    """`make train` runs this: names become examples, names and aliases a lookup table."""
    kb(kb_copy, "add-alias", "passport", "环球通行本")
    assert kb(kb_copy, "nlu-data", "--out", str(tmp_path)).returncode == 0
    data = yaml.safe_load((tmp_path / "knowledge_base.yml").read_text(encoding="utf-8"))
    [examples] = [b["examples"] for b in data["nlu"] if b.get("intent") == "inquire_service"]
    [lookup] = [b["examples"] for b in data["nlu"] if b.get("lookup") == "service"]
    assert "- 普通护照签发\n" in examples and "- 护照\n" not in examples  # already hand-written
    assert "- 环球通行本\n" in lookup and "- 新生儿出生一件事\n" in lookup
