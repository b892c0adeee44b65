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
# Catalogue v2 (issue 12): the families citizens ask about, 查询 services and help services.
ITEM_IDS += """driving-license-first driving-license-reissue driving-license-damaged driving-license-postpone
driving-license-contact-change driving-license-foreign driving-license-inspection driving-license-query
traffic-violation traffic-accident-quick vehicle-transfer vehicle-license-reissue vehicle-inspection
vehicle-temp-plate vehicle-plate-quota nonlocal-vehicle-pass ebike-registration school-bus-sign
hukou-move-out hukou-info-change hukou-certificate id-card-temporary residence-permit-endorsement
hmt-residence-permit dog-registration social-security-card-reissue social-security-card-loss
social-security-card-password social-security-card-activation social-insurance-record
flexible-employment-insurance social-insurance-transfer social-insurance-back-payment maternity-benefit
pension-certification work-injury-recognition startup-subsidy employment-registration
talent-housing-subsidy medical-insurance-query medical-family-mutual-aid housing-fund-query
housing-fund-transfer housing-fund-voluntary property-new-house property-record-query
temporary-assistance marriage-certificate-reissue company-annual-report enterprise-credit-query
entertainment-license service-appointment account-help legal-aid complaint-report""".split()
BUNDLE_IDS = [
    "bundle-newborn",
    "bundle-company-startup",
    "bundle-restaurant",
    "bundle-retirement",
    "bundle-after-death",
]


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
    path.write_text(
        path.read_text(encoding="utf-8").replace("{applicant: 委托他人}", "{applicant: 朋友}"), encoding="utf-8"
    )
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
    path.write_text(path.read_text(encoding="utf-8").replace("newborn-hukou", "no-such-item", 1), encoding="utf-8")
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


# --- catalogue v2: kinds, departments, families ---------------------------------


def test_every_entry_names_a_department_of_the_directory(catalogue):
    assert len(list(catalogue.entries())) == 100
    for item in catalogue.items.values():
        assert item.department_id in catalogue.departments, item.id
    for family in catalogue.families.values():
        assert family.department_id in catalogue.departments, family.id
    for number in (
        "12367",
        "12123",
        "12333",
        "12393",
        "12329",
        "12315",
        "12366",
        "12348",
        "12385",
        "12321",
        "12377",
        "96110",
        "12345",
    ):
        assert any(number in c.name for d in catalogue.departments.values() for c in d.channels), number


def test_look_ups_have_channels_and_nothing_to_hand_in(catalogue):
    lookups = [i for i in catalogue.items.values() if i.kind == "查询"]
    assert {"driving-license-query", "housing-fund-query", "social-insurance-record"} <= {i.id for i in lookups}
    for item in lookups:
        assert item.channels, item.id
        assert all(m.copies == 0 and not m.when for m in item.materials), item.id
        assert not item.preparable
    assert all(i.materials for i in catalogue.items.values() if i.kind == "办理")


def _overlapping_cues(catalogue, family_id):
    """Pairs of cues of different members where one contains the other (独立于加载器的检查)."""
    owners = [(item.id, cue) for item in catalogue.members_of(family_id) for cue in item.cues]
    owners += [(gap.name, cue) for gap in catalogue.families[family_id].uncovered for cue in gap.cues]
    return [
        (a, ca, b, cb)
        for i, (a, ca) in enumerate(owners)
        for b, cb in owners[i + 1 :]
        if a != b and (ca in cb or cb in ca)
    ]


def test_every_family_tells_its_members_apart(catalogue):
    expected = {
        "driving-license",
        "vehicle",
        "hukou",
        "id-card",
        "residence-permit",
        "social-security-card",
        "social-insurance",
        "housing-fund",
        "medical-insurance",
        "real-estate",
        "enterprise",
    }
    assert expected <= set(catalogue.families)
    for family_id, family in catalogue.families.items():
        members = catalogue.members_of(family_id)
        assert members, family_id  # a family of one still tells its member from the 办理项 without a guide
        assert all(item.cues for item in members), family_id
        assert _overlapping_cues(catalogue, family_id) == [], family_id
        assert family.ask.endswith("？")


def test_scopes_of_split_entries(catalogue):
    transfer = catalogue.items["hukou-transfer"]
    words = " ".join(transfer.aliases) + " ".join(f.a for f in transfer.faq)
    for route in ("人才引进", "积分入户", "毕业生", "投靠", "随迁", "购房", "迁回原籍"):
        assert route in words, route
    assert "社保卡" not in catalogue.items["social-security-card"].aliases  # first 申领 only
    assert any("异地" in a for a in catalogue.items["id-card-reissue"].aliases)


def _set_field(path: Path, field: str, value: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [f"{field}: {value}" if l.startswith(f"{field}:") else l for l in lines]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_unknown_department_or_family_is_named(kb_copy):
    _set_field(kb_copy / "items" / "passport.yml", "department_id", "police-passports")
    path = kb_copy / "items" / "id-card-reissue.yml"
    _set_field(path, "family", "id-cards")
    cat = load_catalogue(kb_copy)
    passport = _errors_for(cat, "passport.yml")
    assert passport and passport[0].field == "department_id" and "police-passports" in passport[0].message
    reissue = _errors_for(cat, "id-card-reissue.yml")
    assert reissue and reissue[0].field == "family" and "id-cards" in reissue[0].message
    assert "passport" not in cat.items and "hk-macau-permit" in cat.items


def test_a_look_up_with_materials_to_hand_in_is_refused(kb_copy):
    path = kb_copy / "items" / "housing-fund-query.yml"
    text = path.read_text(encoding="utf-8").replace(
        "materials:",
        """materials:
  - name: 查询申请表
    form: 原件
    copies: 2
    medium: 纸质
    required: 必要
    source: 窗口领取""",
        1,
    )
    path.write_text(text, encoding="utf-8")
    errors = _errors_for(load_catalogue(kb_copy), "housing-fund-query.yml")
    assert any(e.field.startswith("materials[") and "查询类" in e.message for e in errors), errors


def test_a_look_up_without_channels_and_an_application_without_materials_are_refused(kb_copy):
    path = kb_copy / "items" / "driving-license-query.yml"
    data = __import__("yaml").safe_load(path.read_text(encoding="utf-8"))
    data.pop("channels")
    path.write_text(__import__("yaml").safe_dump(data, allow_unicode=True), encoding="utf-8")
    passport = kb_copy / "items" / "passport.yml"
    data = __import__("yaml").safe_load(passport.read_text(encoding="utf-8"))
    data["materials"] = []
    passport.write_text(__import__("yaml").safe_dump(data, allow_unicode=True), encoding="utf-8")
    cat = load_catalogue(kb_copy)
    assert any("channels" in e.field for e in _errors_for(cat, "driving-license-query.yml"))
    assert any(e.field == "materials" and "不能为空" in e.message for e in _errors_for(cat, "passport.yml"))


def test_overlapping_cues_and_a_family_word_as_alias_are_reported(kb_copy):
    path = kb_copy / "items" / "id-card-reissue.yml"
    _set_field(path, "cues", "[丢, 到期了]")  # 到期 already points to 换领
    text = path.read_text(encoding="utf-8").replace("aliases: [", "aliases: [身份证, ", 1)
    path.write_text(text, encoding="utf-8")
    cat = load_catalogue(kb_copy)
    overlaps = [e for e in cat.errors if e.field == "cues"]
    assert len(overlaps) == 1 and "到期" in overlaps[0].message
    assert {Path(overlaps[0].file).stem} | set(re.findall(r"id-card-\w+", overlaps[0].message)) == {
        "id-card-reissue",
        "id-card-renewal",
    }
    assert any(e.field == "aliases" and "身份证" in e.message for e in _errors_for(cat, "id-card-reissue.yml"))


def test_a_broken_directory_is_reported_and_items_still_load(kb_copy):
    (kb_copy / "departments.yml").write_text("- id: hrss\n  name: [人社\n", encoding="utf-8")
    (kb_copy / "families.yml").write_text("- id: x\n  name: 缺字段\n", encoding="utf-8")
    cat = load_catalogue(kb_copy)
    dept = _errors_for(cat, "departments.yml")
    assert dept and "YAML" in dept[0].message and dept[0].line
    fam = _errors_for(cat, "families.yml")
    assert fam and any("缺少必填字段" in e.message for e in fam)
    assert len(cat.items) == len(ITEM_IDS)  # the service keeps answering


def test_a_broken_directory_on_reload_keeps_the_version_in_service(kb_copy):
    good = load_catalogue(kb_copy)
    (kb_copy / "departments.yml").write_text("not: [a list\n", encoding="utf-8")
    reloaded = load_catalogue(kb_copy, previous=good)
    assert reloaded.departments == good.departments
    assert _errors_for(reloaded, "departments.yml")


@pytest.mark.parametrize(
    "word, like, expected",
    [
        ("养老", "resident-medical-insurance", "resident-pension"),  # 城乡居民 stays
        ("离婚证", "marriage-certificate-reissue", "marriage-certificate-reissue"),  # 补领 stays
        ("离婚", "marriage-registration", "divorce-registration"),
        ("行驶证", "driving-license-reissue", "vehicle-license-reissue"),  # 补领 stays
        ("材", "passport", None),  # too short to be a topic
        ("天气", "passport", None),  # in no entry
    ],
)
def test_an_elliptical_switch_changes_one_word_and_keeps_the_rest(catalogue, word, like, expected):
    assert catalogue.variant_like(word, like) == expected


def test_a_cue_said_to_be_done_already_does_not_count(catalogue):
    assert catalogue.settle_by_cues("social-security-card", "社保卡想挂失")[0] == ("social-security-card-loss",)
    assert "social-security-card-loss" not in catalogue.settle_by_cues("social-security-card", "挂失完了想补办")[0]


def test_a_common_member_that_is_not_in_the_family_is_named(kb_copy):
    """families.yml `common:` lists the family's most asked members; a stranger there is a typo."""
    path = kb_copy / "families.yml"
    text = path.read_text(encoding="utf-8").replace(
        "common: [id-card-renewal,", "common: [passport, id-card-renewal,", 1
    )
    assert "common: [passport," in text
    path.write_text(text, encoding="utf-8")
    errors = [e for e in load_catalogue(kb_copy).errors if e.field == "id-card.common"]
    assert errors and "passport" in errors[0].message and "身份证" in errors[0].message
