"""How much of a question an entry's own words explain: the evidence that a question which
resembles an item is about a matter the catalogue has no guide for."""

from __future__ import annotations

import pytest

from bot.nlu.coverage import Coverage, content_words
from bot.nlu.service_matcher import GENERIC_WORDS


def share(coverage: Coverage, text: str, entry_id: str) -> float:
    return coverage.of(GENERIC_WORDS.sub(" ", text), entry_id)


@pytest.fixture(scope="module")
def coverage(catalogue) -> Coverage:
    return Coverage(catalogue)


def test_function_words_punctuation_and_digits_are_no_content():
    assert content_words("我想问一下，2026年的呢？") == []


def test_a_question_in_the_guides_own_words_is_explained(coverage):
    assert share(coverage, "护照签发要带什么材料", "passport") > 0.8


def test_words_the_guide_never_speaks_of_lower_the_share(coverage):
    own = share(coverage, "护照签发要带什么材料", "passport")
    foreign = share(coverage, "护照封皮的烫金图案是谁设计的", "passport")
    assert foreign < 0.5 < own


def test_a_family_word_alone_leaves_nothing_unexplained(coverage):
    assert share(coverage, "怎么办？", "passport") == 1.0
