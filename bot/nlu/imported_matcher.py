"""Find which of a region's imported records a sentence is about, when none of our guides is named.

A region's 事项清单 has thousands of official names (高等学校教师资格认定, 导游证核发); a citizen says
教师资格证 or 导游证怎么办. Two kinds of evidence, tried in order:
1. a name, its 目录 name or its core (the name without region, brackets and the closing verb:
   导游证核发 → 导游证) occurs in the sentence: the records it names, best resembling first;
2. otherwise the records whose names share the most distinctive character pairs with the sentence
   (TF-IDF), above a threshold, with a clear lead to be answered outright.
It is consulted only after `ServiceMatcher` found none of our guides by name, so an imported record
never takes a question from the 100 guides. An enterprise-only record is found by its full name only.
"""

from __future__ import annotations

import re
from itertools import islice
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Set, Tuple

from sklearn.feature_extraction.text import TfidfVectorizer

from bot.nlu.service_matcher import GENERIC_WORDS
from common.text import longest_common_run, normalize_term
from knowledge_base.imported import ImportedItem

ANSWER, ASK = "answer", "ask"
MAX_OPTIONS = 3
# The bracketed detail, the region and the closing verb of an official name are not what citizens say.
_BRACKETS = re.compile(r"[（(][^）)]*[）)]")
_REGION = re.compile("^(中华人民共和国|广东省|广州市|深圳市|省级|市级|省|市|区|县)")
_CLOSING = re.compile(
    "(的)?(申请|办理|核发|审批|许可|登记|认定|注册|备案|查询|服务|咨询|申报|确认|换发|补发|变更|注销|延续|"
    "首次|核准|审核|发放|给付|受理|业务|指引|预约|证明|开具|出具)$"
)
MIN_CORE_CHARS = 3
# A core that is only a generic word (证明, 服务) names nothing.
_EMPTY_CORE = re.compile("^[的与和及、，·\\s]*$")
# Resemblance alone: answered with a clear lead, asked about above the lower bound. Chosen on the
# calibration questions (tests/calibration/imported.yml against outside.yml and in_catalogue_*.yml,
# never the evaluation sets): of 300 imported questions, 67 right outright and 122 right or asked with
# 8 wrong, while 21 of 899 questions about our guides and 10 of 380 outside ones go to a record.
ANSWER_SIMILARITY = 0.55
ASK_SIMILARITY = 0.40
LEAD = 1.25
MIN_SHARED_RUN = 4
MIN_SHARED_PAIRS = 3


@dataclass(frozen=True)
class ImportedMatch:
    """Answer the first (the rest are alternatives one tap away), or ask which of up to three."""

    kind: str
    ids: Tuple[str, ...]


def name_forms(record: ImportedItem) -> Set[str]:
    """The ways a record is named: its name, its 目录 name, and the core of each."""
    forms: Set[str] = set()
    for name in filter(None, (record.name, record.catalogue_name)):
        name = normalize_term(name)
        forms.add(name)
        core = _BRACKETS.sub("", name)
        core = _REGION.sub("", core)
        while True:
            shorter = _CLOSING.sub("", core)
            if shorter == core or len(shorter) < MIN_CORE_CHARS:
                break
            core = shorter
        if len(core) >= MIN_CORE_CHARS and not _EMPTY_CORE.match(core) and not GENERIC_WORDS.fullmatch(core):
            forms.add(core)
    return forms


class ImportedMatcher:
    """Names and resemblance over one catalogue's imported records."""

    def __init__(
        self, records: Iterable[ImportedItem], citizen_words: Optional[Mapping[str, Sequence[str]]] = None
    ) -> None:
        self._records: Dict[str, ImportedItem] = {}
        for record in records:  # one of each name and department: three 律师执业变更审核 are one option
            self._records.setdefault(f"{record.name}|{record.department}", record)
        self._records = {r.id: r for r in self._records.values()}
        self._by_form: Dict[str, List[str]] = {}
        self._forms_of: Dict[str, Set[str]] = {}
        for record in self._records.values():
            forms = name_forms(record) if record.for_citizens else {normalize_term(record.name)}
            self._forms_of[record.id] = forms
            for form in forms:
                self._by_form.setdefault(form, []).append(record.id)
        # Longest first: 高等学校教师资格 before 教师资格.
        self._forms = sorted(self._by_form, key=len, reverse=True)
        # What citizens say → the official term, for the terms these names use; longest first.
        names = " ".join(f for i, forms in self._forms_of.items() if self._records[i].for_citizens for f in forms)
        spoken = {
            normalize_term(word): term
            for term, words in (citizen_words or {}).items()
            if term in names
            for word in words
            if len(normalize_term(word)) >= 2
        }
        self._spoken = sorted(spoken.items(), key=lambda pair: -len(pair[0]))
        self._ids = [r.id for r in self._records.values() if r.for_citizens]
        self._vectorizer = None
        if self._ids:
            documents = [" ".join(sorted(name_forms(self._records[i]))) for i in self._ids]
            self._vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True)
            self._profiles = self._vectorizer.fit_transform(documents)

    def __len__(self) -> int:
        return len(self._records)

    def match(self, text: str, named_longer_than: "int | None" = None) -> "ImportedMatch | None":
        """`named_longer_than`: only a name form longer than this counts, and no resemblance (the
        sentence already names something of ours by a term that long)."""
        if not self._records:
            return None
        said = normalize_term(text)
        # A sentence that names a family of ours (驾驶本) is read in the citizen's words only.
        read = said if named_longer_than is not None else self._in_official_terms(said)
        found = self._match(read, named_longer_than)
        if found is None or found.kind != ANSWER or read == said:
            return found
        # An everyday word read as an official term is evidence for a question back, not an answer: answered
        # outright only when the citizen's own words alone answer the same record.
        plain = self._match(said, named_longer_than)
        if plain is not None and plain.kind == ANSWER and plain.ids[0] == found.ids[0]:
            return found
        return ImportedMatch(ASK, found.ids)

    def _match(self, text: str, named_longer_than: "int | None") -> "ImportedMatch | None":
        named = self._named(text, longer_than=named_longer_than or 0)
        if named_longer_than is not None and not named:
            return None
        similarities = self._similarities(text, named or None)
        if named:
            ranked = sorted(named, key=lambda i: -similarities.get(i, 0.0))
            if len(ranked) == 1 or self._leads(ranked, similarities):
                return ImportedMatch(ANSWER, tuple(ranked[:MAX_OPTIONS]))
            return ImportedMatch(ASK, tuple(ranked[:MAX_OPTIONS]))
        content = GENERIC_WORDS.sub(" ", text)
        # Resemblance counts only with enough of the name in the sentence, a run of four characters or three
        # pairs of them (分家产…协议…公证 for 分家析产协议公证指引): 机器人 alone is no 机器人研究院.
        # Checked down the ranking only until three pass: thousands of records share a pair with any sentence.
        by_resemblance = sorted(similarities, key=lambda i: -similarities[i])
        ranked = list(islice((i for i in by_resemblance if self._shares_enough(content, i)), MAX_OPTIONS))
        if not ranked or similarities[ranked[0]] < ASK_SIMILARITY:
            return None
        if similarities[ranked[0]] >= ANSWER_SIMILARITY and self._leads(ranked, similarities):
            return ImportedMatch(ANSWER, tuple(ranked))
        return ImportedMatch(ASK, tuple(i for i in ranked if similarities[i] >= ASK_SIMILARITY))

    def _in_official_terms(self, text: str) -> str:
        """The sentence with the official term added after each everyday word it uses (鱼苗 → 水产苗种);
        a word inside a longer one already read counts once (职业资格证 is not also 资格证)."""
        unread, terms = text, []
        for word, term in self._spoken:
            if word in unread:
                unread = unread.replace(word, " " * len(word))
                if term not in text and term not in terms:
                    terms.append(term)
        return f"{text} {' '.join(terms)}" if terms else text

    def _named(self, text: str, longer_than: int = 0) -> List[str]:
        """The records of the longest name form in the sentence (several when they share it)."""
        for form in self._forms:
            if len(form) <= longer_than:
                break
            if form in text:
                return list(dict.fromkeys(self._by_form[form]))
        return []

    def _similarities(self, text: str, among: "Sequence[str] | None") -> Dict[str, float]:
        if self._vectorizer is None:
            return {}
        content = GENERIC_WORDS.sub(" ", text).strip()
        if not content:
            return {}
        scores = (self._profiles @ self._vectorizer.transform([content]).T).toarray().ravel()
        wanted = set(among) if among is not None else None
        return {i: float(s) for i, s in zip(self._ids, scores) if s > 0 and (wanted is None or i in wanted)}

    def _shares_enough(self, content: str, record_id: str) -> bool:
        forms = self._forms_of[record_id]
        if max(longest_common_run(content, form) for form in forms) >= MIN_SHARED_RUN:
            return True
        pairs = {content[i : i + 2] for i in range(len(content) - 1)}
        return any(len(pairs & {f[i : i + 2] for i in range(len(f) - 1)}) >= MIN_SHARED_PAIRS for f in forms)

    @staticmethod
    def _leads(ranked: Sequence[str], similarities: Dict[str, float]) -> bool:
        if len(ranked) < 2:
            return True
        first, second = similarities.get(ranked[0], 0.0), similarities.get(ranked[1], 0.0)
        return first > 0 and first >= LEAD * second
