"""Find which catalogue entry a citizen's sentence is about.

Three tiers, tried in order, each more tolerant than the last:
1. exact names and aliases (spaCy PhraseMatcher over characters);
2. homophones, the commonest typing slip with a pinyin keyboard
   (社宝卡 → 社保卡, 营业执招 → 营业执照): the same PhraseMatcher over pinyin;
3. one wrong character in a term of four or more (公积会提取), by rapidfuzz.
Longer matches beat shorter ones, so 身份证丢了 wins over the ambiguous 身份证.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Set, Tuple

import spacy
from pypinyin import lazy_pinyin
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from bot.nlu.terms import service_terms
from knowledge_base import Catalogue

EXACT, HOMOPHONE, FUZZY = 0, 1, 2
TIER_CONFIDENCE = {EXACT: 1.0, HOMOPHONE: 0.9, FUZZY: 0.8}
MIN_HOMOPHONE_CHARS = 3
MIN_FUZZY_CHARS = 4


@dataclass(frozen=True)
class Mention:
    """A stretch of the sentence that names one or more entries."""

    start: int
    end: int
    term: str
    ids: Tuple[str, ...]
    tier: int

    @property
    def confidence(self) -> float:
        return TIER_CONFIDENCE[self.tier]


@dataclass(frozen=True)
class MatchResult:
    """The entry named (if exactly one), or the candidates to ask about."""

    service: Optional[str]
    mention: Optional[Mention]
    candidates: Tuple[str, ...]  # ambiguous mention, or near misses to suggest


def _pinyin(text: str) -> List[str]:
    """One syllable per character, so offsets in text and pinyin agree."""
    return [lazy_pinyin(ch)[0] if "\u4e00" <= ch <= "\u9fff" else ch for ch in text]


class ServiceMatcher:
    """Matches text against every name and alias in one catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._index: Dict[str, Set[str]] = service_terms(catalogue)
        self._bundle_members = {b.id: {m.id for m in b.members} for b in catalogue.bundles.values()}
        self._nlp = spacy.blank("zh")
        self._terms: List[str] = sorted(self._index)
        self._exact = PhraseMatcher(self._nlp.vocab)
        self._homophone = PhraseMatcher(self._nlp.vocab)
        for i, term in enumerate(self._terms):
            self._exact.add(str(i), [self._char_doc(term)])
            if len(term) >= MIN_HOMOPHONE_CHARS:
                self._homophone.add(str(i), [Doc(self._nlp.vocab, words=_pinyin(term))])
        self._fuzzy_terms = [t for t in self._terms if len(t) >= MIN_FUZZY_CHARS]

    def _char_doc(self, text: str) -> Doc:
        return Doc(self._nlp.vocab, words=list(text))

    def mentions(self, text: str) -> List[Mention]:
        """Every mention found, best first."""
        text = text.lower()
        if not text.strip():
            return []
        found: List[Mention] = []
        for tier, matcher, doc in (
            (EXACT, self._exact, self._char_doc(text)),
            (HOMOPHONE, self._homophone, Doc(self._nlp.vocab, words=_pinyin(text))),
        ):
            for match_id, start, end in matcher(doc):
                term = self._terms[int(self._nlp.vocab.strings[match_id])]
                found.append(Mention(start, end, term, tuple(sorted(self._index[term])), tier))
            if found:
                break
        if not found:
            found = self._fuzzy_mentions(text)
        return sorted(found, key=lambda m: (m.tier, -(m.end - m.start), m.start))

    def _fuzzy_mentions(self, text: str) -> List[Mention]:
        """Terms present with exactly one character wrong."""
        found = []
        for term in self._fuzzy_terms:
            if len(text) < len(term) - 1:
                continue
            hit = fuzz.partial_ratio_alignment(term, text, score_cutoff=100 * (1 - 1 / len(term)) - 0.01)
            if hit is not None and Levenshtein.distance(term, text[hit.dest_start:hit.dest_end]) <= 1:
                found.append(Mention(hit.dest_start, hit.dest_end, term, tuple(sorted(self._index[term])), FUZZY))
        return found

    def match(self, text: str) -> MatchResult:
        """The single entry the sentence names, or candidates to ask about."""
        mentions = self.mentions(text)
        if not mentions:
            return MatchResult(None, None, ())
        best = self._prefer_items_over_their_bundles(mentions)
        if len(best.ids) == 1:
            return MatchResult(best.ids[0], best, ())
        # An ambiguous term: another, unambiguous mention may settle it.
        for other in mentions:
            if len(other.ids) == 1 and other.ids[0] in best.ids:
                return MatchResult(other.ids[0], other, ())
        return MatchResult(None, best, best.ids)

    def _prefer_items_over_their_bundles(self, mentions: Sequence[Mention]) -> Mention:
        """孩子出生了要上户口 is about 上户口, not the whole 新生儿出生一件事."""
        best = mentions[0]
        if len(best.ids) == 1 and best.ids[0] in self._bundle_members:
            members = self._bundle_members[best.ids[0]]
            for other in mentions[1:]:
                if len(other.ids) == 1 and other.ids[0] in members and other.tier == best.tier:
                    return other
        return best

    def suggest(self, text: str, limit: int = 3) -> List[str]:
        """Entries whose names look most like the text, for a fallback's buttons."""
        text = text.lower()
        if not text.strip():
            return []
        hits = process.extract(text, self._terms, scorer=fuzz.partial_ratio, limit=limit * 4, score_cutoff=60)
        out: List[str] = []
        for term, _score, _ in hits:
            for entry_id in sorted(self._index[term]):
                if entry_id not in out:
                    out.append(entry_id)
        return out[:limit]
