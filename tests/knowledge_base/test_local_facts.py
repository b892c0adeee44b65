"""A region's imported record over our generic guide: the real place and phone, the guide's explanations."""

from __future__ import annotations

from pathlib import Path

import pytest

from common import settings
from domain_logic import replies
from knowledge_base import LiveCatalogue, load_catalogue
from tools.kb.cli import main as kb

KB = Path(__file__).resolve().parents[2] / "knowledge_base"


@pytest.fixture(scope="module")
def guangdong(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("imports") / "guangdong"
    assert kb(["import-catalogue", "--profile", "guangdong", "--out", str(out)]) == 0
    return out


def test_guangzhou_passport_answer_gives_the_records_address_and_phone(guangdong):
    generic = load_catalogue(KB).items["passport"]
    passport = load_catalogue(KB, imports=guangdong).items["passport"]
    where = replies.location(passport)
    assert "广州市公安局：越秀区东华东路367号（综合窗）" in where
    # Every reply with a local fact says whose it is, and that the local guide prevails.
    for reply in (where, replies.contact(passport), replies.time_limit(passport)):
        assert "摘自广东政务服务网公布的办事指南" in reply and "以当地政务服务中心公布为准" in reply
    assert "020-12345（广州市公安局）" in replies.contact(passport)
    assert "承诺办结时限：5 个工作日" in replies.time_limit(passport)
    # The guide's explanations stay, and the answer says where the facts come from and that local rules prevail.
    assert passport.materials == generic.materials and passport.process == generic.process
    note = replies.local_note(passport)
    assert "广东政务服务网" in note and "11440100007483172Q3440106042001" in note and "以当地" in note


def test_a_pair_staff_rejected_gives_no_local_facts(guangdong):
    """结婚登记预约 is the booking, not the registration (confirmed/gdzwfw.yml says null)."""
    marriage = load_catalogue(KB, imports=guangdong).items["marriage-registration"]
    assert marriage == load_catalogue(KB).items["marriage-registration"]


def test_the_profile_names_the_import_folder(monkeypatch):
    monkeypatch.delenv("KB_IMPORTS_DIR", raising=False)
    monkeypatch.delenv("KB_PROFILE", raising=False)
    assert settings.kb_imports_dir() == settings.ROOT / "var" / "imports" / "catalogue"  # empty until an import
    monkeypatch.setenv("KB_PROFILE", "guangdong")
    assert settings.kb_imports_dir() == settings.ROOT / "var" / "imports" / "guangdong"


def test_the_running_catalogue_takes_a_new_import_without_a_restart(guangdong, tmp_path):
    live = LiveCatalogue(KB, check_interval=0.0, imports=tmp_path)
    assert "东华东路" not in live.current().items["passport"].place
    (tmp_path / "local_facts").mkdir()
    (tmp_path / "local_facts" / "passport.yml").write_bytes((guangdong / "local_facts" / "passport.yml").read_bytes())
    assert "东华东路" in live.current().items["passport"].place


@pytest.mark.parametrize("broken", ["{not: [yaml", "just a sentence", "- 1\n- 2\n"])
def test_a_broken_local_facts_file_leaves_the_generic_guide(tmp_path, broken):
    (tmp_path / "local_facts").mkdir()
    (tmp_path / "local_facts" / "passport.yml").write_text(broken, encoding="utf-8")
    assert load_catalogue(KB, imports=tmp_path).items["passport"] == load_catalogue(KB).items["passport"]
