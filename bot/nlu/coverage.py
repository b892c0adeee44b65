"""How much of a question an entry's own words explain.

A question that resembles an item only in part (残疾人专场招聘会 and the 残疾人证 guide share
残疾人, but nothing of the guide speaks of 招聘会) is more often about a matter the
catalogue has no guide for. The share of the question's distinctive words (weighted by
how rare they are across the catalogue) that occur in the entry's name, aliases, FAQ,
summary, conditions, materials and cues is one piece of the evidence the dialogue weighs
before answering, asking or saying plainly that there is no guide (domain_logic/decision.py).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Dict, Iterable, List, Set

import jieba

from knowledge_base import Catalogue

# Words any question has whatever it is about: they explain nothing.
FUNCTION_WORDS = frozenset(
    "的 了 吗 呢 啊 吧 呀 嘛 我 你 您 他 她 它 们 是 有 没有 和 跟 与 还 都 就 得 给 在 要 去 来 能 会 可以 怎么 "
    "什么 咋 啥 哪 哪里 哪儿 哪个 多少 怎样 如何 一下 这个 那个 这 那 个 一 不 没 又 也 很 太 到 从 对 把 被 让 "
    "说 想 请问 问 办 弄 搞 办理 需要 现在 今年 还是 或者 如果 但是 因为 所以 已经".split()
)
_NOT_A_WORD = re.compile(r"[\W\d_a-z]+")


def content_words(text: str) -> List[str]:
    """The question's words that could point to a matter: two characters or more (a lone 年 or 补
    says little), no function words, digits or punctuation."""
    return [
        w
        for w in jieba.lcut(text.lower())
        if len(w.strip()) >= 2 and w not in FUNCTION_WORDS and not _NOT_A_WORD.fullmatch(w)
    ]


def _entry_texts(entry) -> Iterable[str]:
    yield entry.name
    yield from entry.aliases
    yield from (f.q for f in entry.faq)
    yield entry.summary
    yield from getattr(entry, "conditions", ()) or ()
    yield from getattr(entry, "cues", ()) or ()
    for material in getattr(entry, "materials", ()) or ():
        yield getattr(material, "name", None) or material.material.name  # an item's, or a bundle's
    for member in getattr(entry, "members", ()) or ():
        yield member.name


class Coverage:
    """Each entry's vocabulary, and how rare each word is across the catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._vocabulary: Dict[str, Set[str]] = {
            entry.id: {w for text in _entry_texts(entry) for w in content_words(text)} for entry in catalogue.entries()
        }
        counts = Counter(w for words in self._vocabulary.values() for w in words)
        n = len(self._vocabulary)
        self._weight = {w: math.log((n + 1) / (c + 1)) + 1 for w, c in counts.items()}
        self._unseen_weight = math.log(n + 1) + 1

    def of(self, text: str, entry_id: str) -> float:
        """0 … 1: the weighted share of the question's content words that the entry's words explain
        (1 when the question has none, as in 驾照 alone). The caller blanks the words every
        question uses (材料、怎么办), which would otherwise count as unexplained."""
        words = set(content_words(text))
        if not words:
            return 1.0
        vocabulary = self._vocabulary.get(entry_id, set())
        weights = {w: self._weight.get(w, self._unseen_weight) for w in words}
        return sum(weight for w, weight in weights.items() if w in vocabulary) / sum(weights.values())
