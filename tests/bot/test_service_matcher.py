"""The service matcher: names, aliases, typos, traditional characters, and no false alarms."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from common.text import normalize_text
from bot.nlu.service_matcher import ServiceMatcher
from knowledge_base import KNOWLEDGE_BASE_DIR, LiveCatalogue


@pytest.fixture(scope="module")
def matcher(catalogue) -> ServiceMatcher:
    return ServiceMatcher(catalogue)


def service(matcher: ServiceMatcher, text: str):
    return matcher.match(normalize_text(text)).service


@pytest.mark.parametrize(
    "text, expected",
    [
        ("办护照要带什么", "passport"),
        ("普通护照签发需要多久", "passport"),
        ("我想提取公积金", "housing-fund-withdrawal"),
        ("第一次办社保卡在哪里办", "social-security-card"),
        ("身份证丢了怎么补", "id-card-reissue"),
        ("身份证到期了要换", "id-card-renewal"),
        ("想开个公司，营业执照怎么办", "company-establishment"),
        ("孩子出生了要办哪些手续", "bundle-newborn"),
        ("家里老人过世了，这些手续有没有一站式的", "bundle-after-death"),  # the event and all at once
        ("生完孩子的手续能一次把它弄完吗", "bundle-newborn"),
        ("孩子出生了要上户口带什么", "newborn-hukou"),  # the item beats its own life event
        ("二手房过户要交什么税", "property-transfer"),
    ],
)
def test_names_and_aliases(matcher, text, expected):
    assert service(matcher, text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("营业执招怎么办", "company-establishment"),  # homophone
        ("社宝卡丢了", "social-security-card-reissue"),  # homophone
        ("公积会提取要什么", "housing-fund-withdrawal"),  # one wrong character
        ("辦護照要帶什麼", "passport"),  # traditional characters
        ("ＩＤ卡？辦理護照", "passport"),  # full-width letters
    ],
)
def test_typos_and_traditional_characters(matcher, text, expected):
    assert service(matcher, text) == expected


def test_ambiguous_mention_offers_candidates(matcher):
    result = matcher.match(normalize_text("身份证要带什么"))
    assert result.service is None
    assert set(result.candidates) == {"id-card-renewal", "id-card-reissue", "id-card-temporary"}


@pytest.mark.parametrize(
    "text",
    [
        "今天天气怎么样",
        "讲个笑话",
        "你好",
        "谢谢",
        "多少钱",
        "帮我写作业",
        "红烧肉怎么做",
        "股票明天会涨吗",
        "hello world",
        "😀😀😀",
        "<script>alert(1)</script>",
        "",
        "   ",
        "我要转人工",
        "你是机器人吗",
    ],
)
def test_unrelated_text_names_no_service(matcher, text):
    result = matcher.match(normalize_text(text))
    assert result.service is None and result.candidates == ()


def test_very_long_input_is_handled(matcher):
    text = normalize_text("我想问一下" * 1000 + "办护照")
    assert len(text) <= 500  # the normaliser caps what NLU has to read
    assert matcher.match(text).service is None  # the service was beyond the cap


def test_alias_added_by_staff_is_recognised_without_retraining(tmp_path: Path):
    root = tmp_path / "kb"
    shutil.copytree(KNOWLEDGE_BASE_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    live = LiveCatalogue(root, check_interval=0)
    assert ServiceMatcher(live.current()).match("小红本怎么办").service is None
    path = root / "items" / "passport.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("aliases: [", "aliases: [小红本, ", 1), encoding="utf-8")
    time.sleep(0.01)
    assert ServiceMatcher(live.current()).match("小红本怎么办").service == "passport"


def test_a_sound_alike_inside_a_real_word_is_not_a_typo(matcher):
    # 权证办理 sounds like 犬证办理, but 产权证 is a word of its own: no dog licence for it
    assert service(matcher, "产权证办理要多久") != "dog-registration"
    assert service(matcher, "犬证办理要多久") == "dog-registration"


def test_a_candidate_says_whether_the_sentence_speaks_of_its_department(matcher):
    """延期 resembles the licence's 延期换证, but a visa is the exit-entry administration's matter: a
    question that shares words with a guide of another department is more often one the catalogue
    has no guide for (domain_logic/decision.py weighs it)."""
    own = matcher.match(normalize_text("驾照快到期了怎么延期"))
    assert own.candidates[0] == "driving-license-postpone" and own.department_agrees
    other = matcher.match(normalize_text("外国同事的签证要过期了怎么延期"))
    assert other.candidates and other.department == "police-exit-entry" and not other.department_agrees
