"""The catalogue: every promised item loads, and broken files are reported, not fatal."""
from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from knowledge_base import KNOWLEDGE_BASE_DIR, LiveCatalogue, load_catalogue

ITEM_IDS = """newborn-hukou hukou-transfer hukou-cancel-death id-card-renewal id-card-reissue
residence-permit passport hk-macau-permit no-criminal-record driving-license-renewal
vehicle-registration social-security-card resident-pension retirement unemployment-benefit
resident-medical-insurance medical-out-of-town medical-reimbursement housing-fund-withdrawal
housing-fund-loan marriage-registration divorce-registration subsistence-allowance
disability-certificate birth-registration birth-certificate property-transfer property-mortgage
school-enrollment tax-annual-settlement company-establishment company-change
company-deregistration sole-proprietor food-business-license new-taxpayer seal-engraving
employer-social-insurance employer-housing-fund construction-permit""".split()
BUNDLE_IDS = ["bundle-newborn", "bundle-company-startup", "bundle-restaurant",
              "bundle-retirement", "bundle-after-death"]


def test_all_items_and_bundles_load_without_errors(catalogue):
    assert [str(e) for e in catalogue.errors] == []
    assert sorted(catalogue.items) == sorted(ITEM_IDS)
    assert sorted(catalogue.bundles) == sorted(BUNDLE_IDS)


def test_every_guide_says_local_rules_prevail(catalogue):
    for entry in catalogue.entries():
        assert re.search(r"以当地政务服务中心.*为准", entry.local_note), entry.id


def test_conditional_materials_say_when_they_apply(catalogue):
    for item in catalogue.items.values():
        for m in item.materials:
            if m.required == "视情况":
                assert m.condition, (item.id, m.name)


def test_newborn_bundle_asks_for_parents_ids_once(catalogue):
    bundle = catalogue.bundles["bundle-newborn"]
    names = [bm.material.name for bm in bundle.materials]
    assert names.count("父母双方居民身份证") == 1
    parents = next(bm for bm in bundle.materials if bm.material.name == "父母双方居民身份证")
    assert len(parents.needed_for) >= 2  # shared by several member items
    assert any("预防接种证" in s.name for s in bundle.extra_steps)


def test_bundle_material_lists_are_deduplicated(catalogue):
    for bundle in catalogue.bundles.values():
        names = [bm.material.name for bm in bundle.materials]
        assert len(names) == len(set(names)), bundle.id


def test_questionnaire_conditions_filter_materials(catalogue):
    passport = catalogue.items["passport"]
    by_self = [m.name for m in passport.materials if m.applies_to({"applicant": "本人办理"})]
    by_agent = [m.name for m in passport.materials if m.applies_to({"applicant": "委托他人"})]
    assert "授权委托书" not in by_self
    assert "授权委托书" in by_agent


# --- broken files --------------------------------------------------------------

@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """A private copy of the knowledge base to break."""
    root = tmp_path / "kb"
    shutil.copytree(KNOWLEDGE_BASE_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def _errors_for(catalogue, filename: str):
    return [e for e in catalogue.errors if Path(e.file).name == filename]


def test_broken_yaml_is_reported_with_line_and_rest_loads(kb_copy):
    (kb_copy / "items" / "passport.yml").write_text("id: passport\nname: [普通护照\n", encoding="utf-8")
    cat = load_catalogue(kb_copy)
    errors = _errors_for(cat, "passport.yml")
    assert len(errors) == 1 and "YAML" in errors[0].message and errors[0].line
    assert "passport" not in cat.items
    assert len(cat.items) == len(ITEM_IDS) - 1


def test_missing_field_and_bad_value_are_named(kb_copy):
    path = kb_copy / "items" / "passport.yml"
    text = path.read_text(encoding="utf-8").replace("service_object: 个人", "service_object: 公民")
    text = text.replace("contact: ", "contact_phone: ", 1)
    path.write_text(text, encoding="utf-8")
    errors = _errors_for(load_catalogue(kb_copy), "passport.yml")
    messages = {e.field: e.message for e in errors}
    assert "service_object" in messages and "个人" in messages["service_object"]
    assert "contact" in messages and "缺少" in messages["contact"]
    line_of_bad_value = next(i for i, l in enumerate(text.splitlines(), 1) if "公民" in l)
    assert any(e.field == "service_object" and e.line == line_of_bad_value for e in errors)
    assert all(str(e).startswith(str(path)) for e in errors)


def test_material_condition_must_name_a_real_option(kb_copy):
    path = kb_copy / "items" / "passport.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("{applicant: 委托他人}", "{applicant: 朋友}"),
                    encoding="utf-8")
    errors = _errors_for(load_catalogue(kb_copy), "passport.yml")
    assert any("applicant" in e.field and "朋友" in e.message for e in errors)


@pytest.mark.parametrize("content", [b"", b"- just\n- a list\n", b"\xff\xfe\x00bad"])
def test_empty_list_or_binary_file_is_reported(kb_copy, content):
    (kb_copy / "items" / "junk.yml").write_bytes(content)
    cat = load_catalogue(kb_copy)
    assert _errors_for(cat, "junk.yml")
    assert len(cat.items) == len(ITEM_IDS)


def test_missing_local_note_is_refused(kb_copy):
    path = kb_copy / "items" / "passport.yml"
    lines = [l for l in path.read_text(encoding="utf-8").splitlines() if not l.startswith("local_note")]
    path.write_text("\n".join(lines) + "\nlocal_note: 仅供参考\n", encoding="utf-8")
    errors = _errors_for(load_catalogue(kb_copy), "passport.yml")
    assert any(e.field == "local_note" and "以当地" in e.message for e in errors)


def test_bundle_with_unknown_member_is_left_out(kb_copy):
    path = kb_copy / "bundles" / "bundle-newborn.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("newborn-hukou", "no-such-item", 1),
                    encoding="utf-8")
    cat = load_catalogue(kb_copy)
    assert "bundle-newborn" not in cat.bundles
    assert any("no-such-item" in e.message for e in _errors_for(cat, "bundle-newborn.yml"))
    assert len(cat.bundles) == len(BUNDLE_IDS) - 1


def test_live_catalogue_keeps_the_good_version_when_an_edit_breaks_a_file(kb_copy):
    live = LiveCatalogue(kb_copy, check_interval=0)
    path = kb_copy / "items" / "passport.yml"
    good = path.read_text(encoding="utf-8")
    path.write_text(good.replace("aliases: [", "aliases: [小本本, ", 1), encoding="utf-8")
    time.sleep(0.01)
    assert "小本本" in live.current().items["passport"].aliases  # a good edit goes live

    path.write_text("id: passport\nname: [broken\n", encoding="utf-8")
    time.sleep(0.01)
    cat = live.current()
    assert "小本本" in cat.items["passport"].aliases  # the broken edit did not replace it
    assert _errors_for(cat, "passport.yml")
