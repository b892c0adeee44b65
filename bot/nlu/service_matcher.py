"""Find which catalogue entry a citizen's sentence is about.

Three tiers, tried in order, each more tolerant than the last:
1. exact names and aliases (spaCy PhraseMatcher over characters);
2. homophones, the commonest typing slip with a pinyin keyboard
   (社宝卡 → 社保卡, 营业执招 → 营业执照): the same PhraseMatcher over pinyin,
   unless the sound-alike is other words (`_is_a_slip`);
3. one wrong character in a term of five or more (公积会提取), by rapidfuzz, or
   a term of four or more with up to two words slipped in (公司想改个名字 → 公司改名);
4. only for a sentence already known to ask about a service: the entry whose
   names, aliases and FAQ questions share the most distinctive character
   n-grams with it (TF-IDF), above a threshold (公司要注销, 刻一套公章多少钱).
Longer matches beat shorter ones, so 身份证丢了 wins over the ambiguous 身份证.

A term that names a whole family (驾照, 社保卡) is settled by the members' cues
(丢 → 补领, 到期 → 换证). A cue of a 办理项 the catalogue has no guide for
(驾驶证注销) makes the result `uncovered`, so the bot says so instead of
answering with a sibling's guide. With no service named at all, the words of a
department's domain (交警, 公积金…) give that department, also typed with a slip
that a pinyin keyboard's 模糊音 forgives (底保 → 低保, 养老精 → 养老金).
"""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from functools import lru_cache
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Set, Tuple

import jieba
import spacy
from pypinyin import lazy_pinyin
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein, ScoreAlignment
from sklearn.feature_extraction.text import TfidfVectorizer
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from bot.nlu.coverage import Coverage
from bot.nlu.terms import name_variants, service_terms
from common.text import normalize_term
from knowledge_base import Catalogue, Family, Sibling

EXACT, HOMOPHONE, FUZZY, SIMILAR = 0, 1, 2, 3
TIER_CONFIDENCE = {EXACT: 1.0, HOMOPHONE: 0.9, FUZZY: 0.8, SIMILAR: 0.6}
MIN_SIMILARITY = 0.12
# Words every question uses whatever the service; the similarity tier ignores them,
# so "需要什么材料" alone resembles nothing and the service in context stays.
GENERIC_WORDS = re.compile(
    "政务服务|政务中心|服务中心|中心|大厅|窗口|热线|部门|请问|我想|我要|问一下|一下|想问|需要|什么|哪些|怎么|如何|怎样|咋|办理|手续|流程|步骤|材料|资料|证件|"
    "条件|资格|多少|钱|费用|收费|时间|多久|几天|地点|哪里|在哪|哪儿|电话|网上|手机|准备|提交|申请|可以|能不能|"
    "能|要|带|去|的|了|吗|呢|啊|吧|呀|这个|那个|我|你|您|们|是|有|没有|和|跟|还|都|就|得|给|一个|个|些|事|情"
)
# Asking for a figure that depends on local policy and changes yearly: no guide states it.
POLICY_QUESTION = re.compile(
    "能领多少|领多少|能拿多少|拿多少|发多少|补多少|补贴多少|能补几|报多少|能报几|报销比例|比例是多少|比例多少|"
    "涨多少|涨了多少|涨几|调整方案|标准是多少|标准多少|起付线|封顶线|利率|几个点|怎么计算|计算器|"
    "领几个月|几岁能退|几岁退休|一年交多少|每月划入|划入多少|待遇差多少|赔多少|能贷多少|贷多少|多贷|"
    "一个月多少钱|多少钱一个月|能给多少|给多少钱|中签率|几号发|发放时间|优惠政策|有什么政策|有没有什么政策|"
    "计算公式|上调|一个月多少|每月多少|"
    # whether the law allows it or the scheme covers it: a judgement no guide makes
    "违法吗|合法吗|犯法吗|算违法|违规吗|能报销吗|能不能报销|可以报销吗|能不能报|给报吗|纳入医保"
)
# Doing several things of one life event at once: 一起办, 联办, 一件事.
JOINTLY = re.compile(
    "一起办|一起弄|一块办|一块儿|一并|联办|一件事|(?<!第)一次办|一次性办|合一块|同时办|"
    "一次搞定|一站式|一个窗口|一次弄完|全部办|一起申请|一块申请|一起搞|一次把|一次性把"
)
# Asking for everything a life event involves (孩子出生了要办哪些手续): with the event's own word, its bundle.
WHOLE_EVENT = re.compile(
    "哪些手续|什么手续|啥手续|哪些事|要办什么|要办啥|要办哪些|办哪些|都要办|得办啥|需要办什么|跑哪些|要弄啥|要弄什么|要处理哪些"
)
# Right after a word, these make it what the question is about (医保怎么转, 公积金能取吗).
ASKED_ABOUT = re.compile("\\s*(?:的|关系|账户)?(?:怎么|咋|如何|要|能|可以|需要|在哪|去哪|还能|还要)")
# 不是到期，是丢了 / 不要临牌，新车直接上牌: the retracted part is blanked (offsets stay).
RETRACTED = re.compile("(?<![是要])(?:不是|不要|不办)[^，,。！!？?；;]{1,10}[，,；;]")
MAX_SIMILAR = 3
# Telling the department from resemblance alone: enough content, a clear score, a clear lead.
MIN_DEPARTMENT_CHARS = 4
MIN_DEPARTMENT_SIMILARITY = 0.12
DEPARTMENT_LEAD = 1.25
# For a sentence known to be a government matter, only whose it is: the department of the closest
# phrases (a topic, a citizen's example, an item's name or alias), summed over the nearest few.
NEAREST_PHRASES = 3
LOOSE_DEPARTMENT_SIMILARITY = 0.3
LOOSE_DEPARTMENT_LEAD = 1.05
MIN_CONTENT_CHARS = 2
MIN_HOMOPHONE_CHARS = 3
# A department's word typed with a slip (底保 for 低保) still names it, down to two characters (`_is_a_slip`).
MIN_TOPIC_SOUND_CHARS = 2
FUNCTION_CHARACTERS = set("的地得了着过们是个不吗呢吧啊呀嘛")
MIN_FUZZY_CHARS = 5
MIN_GAPPED_CHARS = 4
MAX_GAP_CHARS = 2


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
    """The entry named (if exactly one), or the candidates to ask about, or a matter we have no guide for."""

    service: Optional[str]
    mention: Optional[Mention]
    candidates: Tuple[str, ...]  # ambiguous mention, or near misses to suggest
    uncovered: Optional[Sibling] = None  # a family's 办理项 with no guide (驾驶证注销)
    department: Optional[str] = None  # who handles an uncovered matter, or the domain named
    policy: bool = False  # asks for a figure no guide states (能领多少、报销比例)
    department_named: bool = False  # True: a topic word or a family names it, not mere resemblance
    siblings: Tuple[str, ...] = ()  # nothing named, but members' cues present (丢了呢)
    gaps: Tuple[str, ...] = ()  # likewise for uncovered 办理项, as "family-id:name"
    scores: Tuple[float, ...] = ()  # each candidate's resemblance to the rest of the sentence, best first
    source: str = ""  # why there are candidates: family | cues | mixed | ambiguous | resembled
    coverage: float = 1.0  # how much of the sentence the first candidate's own words explain (`Coverage`)
    # Whether the department the sentence speaks of is the first candidate's: a question about another
    # department's matter that merely shares words with a guide is more often one we have no guide for.
    department_agrees: bool = True


def without_retracted_clause(text: str) -> str:
    """A correction names what the citizen does not mean first; that part must not count."""
    return RETRACTED.sub(lambda m: " " * len(m.group(0)), text)


def _blank(text: str, mention: Mention) -> str:
    """The sentence without the words of `mention` (offsets kept): what else does it say?"""
    return text[: mention.start] + " " * (mention.end - mention.start) + text[mention.end :]


def _cuts_a_word(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] begins or ends in the middle of a dictionary word (jieba's): a sound-alike
    found there is part of another word, not a typo for a service."""
    for k in (1, 2):
        for j in (1, 2):
            if start - k >= 0 and jieba.get_FREQ(text[start - k : start + j]):
                return True
            if end + k <= len(text) and jieba.get_FREQ(text[end - j : end + k]):
                return True
    return False


def _is_a_slip(text: str, start: int, end: int, term: str) -> bool:
    """Whether text[start:end], which sounds like `term`, is `term` mistyped rather than other words:
    not part of a dictionary word (林权证办理 is not 林 + 犬证办理; 地保 in 基地保安 is not 低保), no
    function character where it differs (登记不 is not 登记簿), and of two characters neither a word
    itself nor holding a function character at all (一包 is not 医保, 的事 is not 的士)."""
    typed = text[start:end]
    slipped = {t for t, c in zip(typed, term) if t != c}
    if slipped & FUNCTION_CHARACTERS or _cuts_a_word(text, start, end):
        return False
    return not (end - start == 2 and (jieba.get_FREQ(typed) or FUNCTION_CHARACTERS & set(typed)))


def _has_digits(term: str) -> bool:
    return any(ch.isdigit() for ch in term)


def _is_chinese(text: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in text)


def _pinyin(text: str) -> List[str]:
    """One syllable per character, so offsets in text and pinyin agree."""
    return [lazy_pinyin(ch)[0] if _is_chinese(ch) else ch for ch in text]


_LOOSE_INITIAL = re.compile("^([zcs])h")
_LOOSE_FINAL = re.compile("([aei]n)g$")


@lru_cache(maxsize=256)
def _loose_pinyin(text: str) -> Tuple[str, ...]:
    """`_pinyin` with the confusions a pinyin keyboard's 模糊音 setting forgives (zh/z, ch/c, sh/s,
    ing/in, eng/en, ang/an): the slips of speakers whose dialect does not tell them apart. Cached:
    one message asks for its department's words several times."""
    return tuple(_LOOSE_FINAL.sub(r"\1", _LOOSE_INITIAL.sub(r"\1", syllable)) for syllable in _pinyin(text))


class ServiceMatcher:
    """Matches text against every name and alias in one catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self._index: Dict[str, Set[str]] = service_terms(catalogue)
        self._bundle_members = {b.id: {m.id for m in b.members} for b in catalogue.bundles.values()}
        jieba.initialize()  # its dictionary tells a sound-alike inside a real word (`_cuts_a_word`)
        self._nlp = spacy.blank("zh")
        self._terms: List[str] = sorted(self._index)
        self._exact = PhraseMatcher(self._nlp.vocab, attr="ORTH")  # spaCy's default, which its stub leaves out
        self._homophone = PhraseMatcher(self._nlp.vocab, attr="ORTH")
        for i, term in enumerate(self._terms):
            self._exact.add(str(i), [self._char_doc(term)])
            if len(term) >= MIN_HOMOPHONE_CHARS:
                self._homophone.add(str(i), [Doc(self._nlp.vocab, words=_pinyin(term))])
        # A number is exact or nothing: 12345 is not a typo of the hotline 12348.
        self._fuzzy_terms = [t for t in self._terms if len(t) >= MIN_FUZZY_CHARS and not _has_digits(t)]
        self._gapped = [
            (t, re.compile(".{0,%d}?".join(map(re.escape, t)) % ((MAX_GAP_CHARS,) * (len(t) - 1))))
            for t in self._terms
            if len(t) >= MIN_GAPPED_CHARS and not _has_digits(t)
        ]
        self._profile_ids, self._vectorizer, self._profiles = self._build_profiles(catalogue)
        self._catalogue = catalogue
        self._coverage = Coverage(catalogue)
        self._family_of = {item.id: item.family for item in catalogue.items.values() if item.family}
        # Each member's place in its family's `common` list (the most asked first), for breaking ties.
        self._common_place = {i: place for f in catalogue.families.values() for place, i in enumerate(f.common)}
        self._department_of = {item.id: item.department_id for item in catalogue.items.values()}
        self._general_departments = {d.id for d in catalogue.departments.values() if d.general}
        self._family_terms = {normalize_term(t): f for f in catalogue.families.values() for t in (f.name, *f.terms)}
        self._topics = sorted(
            ((normalize_term(t), d.id) for d in catalogue.departments.values() for t in d.topics),
            key=lambda pair: -len(pair[0]),
        )
        self._topic_sounds = PhraseMatcher(self._nlp.vocab, attr="ORTH")
        for i, (topic, _) in enumerate(self._topics):
            if len(topic) >= MIN_TOPIC_SOUND_CHARS and _is_chinese(topic):
                self._topic_sounds.add(str(i), [Doc(self._nlp.vocab, words=list(_loose_pinyin(topic)))])
        self._department_ids, self._department_vectorizer, self._department_profiles = self._build_department_profiles(
            catalogue
        )
        self._phrase_departments, self._phrase_vectorizer, self._phrases = self._build_department_phrases(catalogue)

    @staticmethod
    def _build_profiles(catalogue: Catalogue):
        """One short document per entry: names (twice, for weight), aliases, FAQ questions."""
        ids, docs = [], []
        for entry in catalogue.entries():
            names = sorted(name_variants(entry.name)) * 2
            docs.append(" ".join([*names, *entry.aliases, *(f.q for f in entry.faq)]).lower())
            ids.append(entry.id)
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), sublinear_tf=True)
        return ids, vectorizer, vectorizer.fit_transform(docs) if docs else None

    @staticmethod
    def _department_phrases(catalogue: Catalogue) -> List[Tuple[str, str]]:
        """(department id, phrase) for every phrase that belongs to one department: what it handles, its
        topics, how citizens ask about it, and its items' names, aliases and FAQ questions."""
        pairs = [
            (dept.id, phrase.lower())
            for dept in catalogue.departments.values()
            for phrase in (dept.name, dept.handles, *dept.topics, *dept.examples)
        ]
        pairs += [
            (item.department_id, phrase.lower())
            for item in catalogue.items.values()
            for phrase in (item.name, *item.aliases, *(f.q for f in item.faq))
        ]
        return pairs

    @classmethod
    def _build_department_profiles(cls, catalogue: Catalogue):
        """One document per department: all of its phrases."""
        docs: Dict[str, List[str]] = {dept_id: [] for dept_id in catalogue.departments}
        for dept_id, phrase in cls._department_phrases(catalogue):
            docs.setdefault(dept_id, []).append(phrase)
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 2), sublinear_tf=True)
        profiles = vectorizer.fit_transform([" ".join(words) for words in docs.values()]) if docs else None
        return list(docs), vectorizer, profiles

    @classmethod
    def _build_department_phrases(cls, catalogue: Catalogue):
        """The same phrases, each on its own, for the nearest-phrases decision."""
        pairs = cls._department_phrases(catalogue)
        vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 2), sublinear_tf=True)
        phrases = vectorizer.fit_transform([phrase for _, phrase in pairs]) if pairs else None
        return [dept_id for dept_id, _ in pairs], vectorizer, phrases

    def department_resembled(self, text: str, loose: bool = False) -> Optional[str]:
        """The department whose matters the sentence resembles, when one clearly leads (学前教育免费吗 → 教育).

        Whether a sentence is a government matter at all is judged against each department as a
        whole, strictly. `loose` is for a sentence already known to be one (it resembles some
        entries, or asks about some service): only whose it is remains, and the nearest single
        phrases tell that better than the whole."""
        content = GENERIC_WORDS.sub(" ", text.lower())
        if self._department_profiles is None or len(content.replace(" ", "")) < MIN_DEPARTMENT_CHARS:
            return None
        if loose:
            return self._department_of_nearest_phrases(content)
        scores = (self._department_vectorizer.transform([content]) @ self._department_profiles.T).toarray()[0]
        ranked = scores.argsort()[::-1]
        top, second = scores[ranked[0]], scores[ranked[1]] if len(ranked) > 1 else 0.0
        if top < MIN_DEPARTMENT_SIMILARITY or top < DEPARTMENT_LEAD * second:
            return None
        return self._department_ids[ranked[0]]

    def _department_of_nearest_phrases(self, content: str) -> Optional[str]:
        """The department of the nearest few phrases (their resemblance summed), if it leads."""
        scores = (self._phrase_vectorizer.transform([content]) @ self._phrases.T).toarray()[0]
        totals: Dict[str, float] = defaultdict(float)
        for i in scores.argsort()[::-1][:NEAREST_PHRASES]:
            totals[self._phrase_departments[i]] += scores[i]
        ranked = sorted(totals.values(), reverse=True) + [0.0]
        if ranked[0] < LOOSE_DEPARTMENT_SIMILARITY or ranked[0] < LOOSE_DEPARTMENT_LEAD * ranked[1]:
            return None
        return max(totals, key=lambda k: totals[k])

    def department_for(self, text: str) -> Optional[str]:
        """Who to suggest for a government matter: a topic word, else resemblance."""
        return self.department_named(text) or self.department_resembled(text, loose=True)

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
                if tier == HOMOPHONE and not _is_a_slip(text, start, end, term):
                    continue
                found.append(Mention(start, end, term, tuple(sorted(self._index[term])), tier))
            # A family word alone (户口本 in 领结昏证要户口本吗) often names a material: look for homophones too.
            if found and not all(m.term in self._family_terms for m in found):
                break
        if not found:
            found = self._fuzzy_mentions(text)
        return sorted(found, key=lambda m: (m.tier, -(m.end - m.start), m.start))

    def _fuzzy_mentions(self, text: str) -> List[Mention]:
        """Terms present with one character wrong, or with a few characters slipped in."""
        found = []
        for term, pattern in self._gapped:
            hit = pattern.search(text)
            if hit and hit.end() - hit.start() <= len(term) + MAX_GAP_CHARS:
                found.append(Mention(hit.start(), hit.end(), term, tuple(sorted(self._index[term])), FUZZY))
        for term in self._fuzzy_terms:
            if len(text) < len(term) - 1:
                continue
            alignment: Optional[ScoreAlignment] = fuzz.partial_ratio_alignment(
                term, text, score_cutoff=100 * (1 - 1 / len(term)) - 0.01
            )
            if (
                alignment is not None
                and Levenshtein.distance(term, text[alignment.dest_start : alignment.dest_end]) <= 1
            ):
                found.append(
                    Mention(alignment.dest_start, alignment.dest_end, term, tuple(sorted(self._index[term])), FUZZY)
                )
        return found

    def _similarities(self, text: str) -> Optional[Dict[str, float]]:
        """Entry id → resemblance of the sentence's content words to its profile."""
        content = GENERIC_WORDS.sub(" ", text)
        if self._profiles is None or len(content.replace(" ", "")) < MIN_CONTENT_CHARS:
            return None
        scores = (self._vectorizer.transform([content]) @ self._profiles.T).toarray()[0]
        return dict(zip(self._profile_ids, scores))

    def _similar_entries(self, text: str) -> Tuple[str, ...]:
        """Up to three entries whose profiles the sentence resembles, best first, if clearly enough."""
        scores = self._similarities(text)
        if not scores:
            return ()
        ranked = sorted(scores, key=lambda k: scores[k], reverse=True)
        top = scores[ranked[0]]
        if top < MIN_SIMILARITY:
            return ()
        return tuple(i for i in ranked[:MAX_SIMILAR] if scores[i] >= top / 2)

    def _settle_by_resemblance(self, text: str, candidates: Sequence[str]) -> Optional[str]:
        """身份证还有一个月到期 → 换领: the rest of the sentence picks one candidate."""
        scores = self._similarities(text)
        if not scores:
            return None
        ranked = sorted(candidates, key=lambda c: scores.get(c, 0.0), reverse=True)
        top, runner_up = scores.get(ranked[0], 0.0), scores.get(ranked[1], 0.0)
        # Choosing among a few known candidates needs only a clear lead, not a strong match.
        return ranked[0] if top >= MIN_SIMILARITY / 3 and top >= 2 * runner_up else None

    def match(self, text: str, about_a_service: bool = False) -> MatchResult:
        """The single entry the sentence names, or candidates to ask about.

        `about_a_service` says the sentence is known (from its intent) to ask
        about some service, which allows the looser similarity tier; what it
        finds is only ever offered as options, never answered as if named.
        A policy question (能领多少、报销比例) keeps its service but is flagged:
        a guide has no figures for it.
        """
        retracted = self._retracted_entries(text.lower())
        text = without_retracted_clause(text.lower())
        result = self._match(text, about_a_service)
        if result.candidates and not result.department:
            # 公积金贷款额度计算公式, 户口被冻结了: whom to ask if none of the options fits.
            result = dataclasses.replace(result, department=self.department_for(text))
        if retracted and set(result.candidates) - retracted:
            # 不是报销的事，我是想查医保账户: the family's question leaves out what the citizen said it is not.
            kept = tuple(c for c in result.candidates if c not in retracted)
            mention = dataclasses.replace(result.mention, ids=kept) if result.mention else None
            result = dataclasses.replace(result, candidates=kept, mention=mention)
        if POLICY_QUESTION.search(text) and not result.candidates:
            return dataclasses.replace(result, policy=True)
        return self._ranked(text, result) if result.candidates else result

    def _ranked(self, text: str, result: MatchResult) -> MatchResult:
        """The candidates best first, by how much the rest of the sentence resembles each: the evidence
        the dialogue weighs to answer the first outright, offer it with the others, or ask."""
        mention = result.mention
        rest = _blank(text, mention) if mention is not None and mention.term else text
        similarities = self._similarities(rest) or {}
        named_family = self._family_terms.get(mention.term) if mention is not None and mention.term else None
        members = {item.id for item in self._catalogue.members_of(named_family.id)} if named_family else set()
        # The family the citizen named comes first: a 驾照 question about a yearly check is the licence's
        # 审验, not the car's 年检.
        ranked = sorted(
            result.candidates,
            key=lambda c: (c not in members, -round(similarities.get(c, 0.0), 3), self._common_place.get(c, 99)),
        )
        if mention is None or not mention.term:
            source = "resembled"
        elif named_family is not None:
            source = "family" if set(ranked) == members else "cues" if set(ranked) < members else "mixed"
        else:
            source = "ambiguous"
        return dataclasses.replace(
            result,
            candidates=tuple(ranked),
            mention=dataclasses.replace(mention, ids=tuple(ranked)) if mention is not None else None,
            scores=tuple(round(float(similarities.get(c, 0.0)), 4) for c in ranked),
            source=source,
            coverage=round(self._coverage.of(GENERIC_WORDS.sub(" ", rest), ranked[0]), 4),
            department_agrees=self._department_of.get(ranked[0], result.department) == result.department,
        )

    def _retracted_entries(self, text: str) -> Set[str]:
        """The entries a correction's first part names (不是报销的事，…): named or cued there."""
        out: Set[str] = set()
        for clause in RETRACTED.findall(text):
            out |= {m.ids[0] for m in self.mentions(clause) if len(m.ids) == 1}
            out |= set(self.cues_anywhere(clause)[0])
        return out

    def _match(self, text: str, about_a_service: bool) -> MatchResult:
        mentions = self.mentions(text)
        event = self._life_event(text, mentions)
        if event is not None:
            return MatchResult(event, Mention(0, len(text), "", (event,), EXACT), ())
        if not mentions:
            siblings, gaps = self.cues_anywhere(text)
            department = self.department_named(text)
            similar = self._similar_entries(text) if about_a_service or department else ()
            named = department is not None
            if not named and similar:
                department = self.department_resembled(text, loose=True) or self._department_of.get(similar[0])
            elif not named and not siblings:  # a question about some service (by its intent) takes a smaller lead
                department = self.department_resembled(text, loose=about_a_service)
            mention = Mention(0, len(text), "", similar, SIMILAR) if similar else None
            return MatchResult(
                None, mention, similar, department=department, siblings=siblings, gaps=gaps, department_named=named
            )
        bundle = self._bundle_of_members(text, mentions)
        if bundle:
            return MatchResult(bundle, Mention(0, len(text), "", (bundle,), EXACT), ())
        best = self._prefer_items_over_their_bundles(mentions)
        if best.term in self._family_terms:  # 驾照 names the whole family, even one of a single member
            family = self._family_terms[best.term]
            result = self._settle_by_cues(text, best, family)
            if result.service or result.uncovered:
                return result
            # No cue: 新公司要刻章 is about 刻章, and 需要户口本吗 names 户口本 as a material.
            other = next(
                (
                    m
                    for m in mentions
                    if len(m.ids) == 1
                    and m.term not in self._family_terms
                    and self._family_of.get(m.ids[0]) != family.id
                ),
                None,
            )
            if other is not None:
                return MatchResult(other.ids[0], other, ())
            # 公司把我辞退了: 公司 names the enterprise family, but 辞退 is another department's matter.
            if all(m.term in self._family_terms for m in mentions):
                rest = text
                for m in mentions:  # other families' words (社保 in 公司办社保) are not another department's matter
                    rest = _blank(rest, m)
                elsewhere = self.department_named(rest)
                # …unless the whole sentence still sounds like the family's own department
                # (医保…想在老家医院看病，要先备个案: 医院 is where, not whom to ask).
                if (
                    elsewhere
                    and family.department_id not in (elsewhere, self.department_resembled(text, loose=True))
                    and not self._asked_about(text, best, elsewhere)
                ):
                    return MatchResult(None, None, (), department=elsewhere, department_named=True)
            return self._with_resembling_entries(text, best, result)
        if len(best.ids) == 1:
            return self._unless_a_specific_department(text, best)
        # An ambiguous term: another, unambiguous mention may settle it, or the rest of the sentence.
        for other in mentions:
            if len(other.ids) == 1 and other.ids[0] in best.ids:
                return MatchResult(other.ids[0], other, ())
        shared_family = self._family_of_all(best.ids)
        if shared_family is not None:
            return self._settle_by_cues(text, best, shared_family)
        settled = self._settle_by_resemblance(text.replace(best.term, " "), best.ids)
        if settled:
            return MatchResult(settled, Mention(best.start, best.end, best.term, (settled,), SIMILAR), ())
        return MatchResult(None, best, best.ids)

    def _unless_a_specific_department(self, text: str, mention: Mention) -> MatchResult:
        """出租车司机绕路怎么投诉: the catch-all 投诉举报 entry yields to the department named (交通运输)."""
        entry = mention.ids[0]
        if self._department_of.get(entry) in self._general_departments:
            specific = self.department_named(_blank(text, mention))
            if specific and specific not in self._general_departments:
                return MatchResult(None, None, (), department=specific, department_named=True)
        return self._unless_a_sibling_is_cued(text, mention)

    def _unless_a_sibling_is_cued(self, text: str, mention: Mention) -> MatchResult:
        """国外驾照换证: the alias says 期满换证 but 国外 points to its sibling 境外驾照换证; ask which,
        rather than answer the wrong one."""
        entry = mention.ids[0]
        family = self._family_of.get(entry)
        if family is None:
            return MatchResult(entry, mention, ())
        # 公积金贷款提前还款: beside the alias, the sentence names a 办理项 that has no guide.
        hits_beside, gap = self._catalogue.settle_by_cues(family, _blank(text, mention))
        if gap is not None and not hits_beside:
            return MatchResult(
                None,
                mention,
                (),
                uncovered=gap,
                department=self._catalogue.families[family].department_id,
                department_named=True,
            )
        hits, _ = self._catalogue.settle_by_cues(family, text)
        others = tuple(h for h in hits if h != entry)
        if not others:
            return MatchResult(entry, mention, ())
        candidates = (entry, *others)
        return MatchResult(
            None, Mention(mention.start, mention.end, mention.term, candidates, mention.tier), candidates
        )

    def _with_resembling_entries(self, text: str, term: Mention, result: MatchResult) -> MatchResult:
        """A family word with no cue: also offer the entries outside the family that the rest of the
        sentence resembles more than any member (想买车，交了两年社保，要申请指标 → 摇号)."""
        scores = self._similarities(text.replace(term.term, " ")) or {}
        members = set(result.candidates)
        best_member = max((scores.get(m, 0.0) for m in members), default=0.0)
        outside = [
            i
            for i in sorted(scores, key=lambda k: scores[k], reverse=True)[:MAX_SIMILAR]
            if i not in members and scores[i] >= MIN_SIMILARITY and scores[i] > best_member
        ]
        if not outside:
            return result
        candidates = tuple(outside[:2]) + result.candidates
        return MatchResult(
            None,
            Mention(term.start, term.end, term.term, candidates, term.tier),
            candidates,
            department=self.department_for(text),  # the family word names its department too
        )

    def cues_anywhere(self, text: str) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
        """For a sentence that names nothing (丢了呢？): every family member whose cue it has, and every
        uncovered 办理项 as "family-id:name". The dialogue keeps those of the family in context."""
        siblings: List[str] = []
        gaps: List[str] = []
        for family_id in self._catalogue.families:
            hits, gap = self._catalogue.settle_by_cues(family_id, text)
            siblings += hits
            if gap is not None:
                gaps.append(f"{family_id}:{gap.name}")
        return tuple(siblings), tuple(gaps)

    def _asked_about(self, text: str, term: Mention, other_department: str) -> bool:
        """退休了医保怎么转到老家: the family word is what the question asks about (a question word follows
        it) and the other department's word only says when (it comes before): the family's matter."""
        if not ASKED_ABOUT.match(text[term.end :]):
            return False
        places = [text.find(t) for t, dept in self._topics if dept == other_department and t in text]
        return bool(places) and max(places) < term.start

    def _life_event(self, text: str, mentions: Sequence[Mention]) -> Optional[str]:
        """我爸去世了，后事要办哪些手续 → 身后一件事: a life event's own word and a question about everything it
        takes, or about doing it all at once (一次搞定、一起办), unless the sentence names an item outside
        that event (then it is about that item)."""
        if not (WHOLE_EVENT.search(text) or JOINTLY.search(text)):
            return None
        for bundle in self._catalogue.bundles.values():
            if any(word in text for word in bundle.events):
                allowed = self._bundle_members[bundle.id] | {bundle.id}
                if all(set(m.ids) & allowed or m.term in self._family_terms for m in mentions):
                    return bundle.id
        return None

    def _bundle_of_members(self, text: str, mentions: Sequence[Mention]) -> Optional[str]:
        """户口注销和公积金提取一起办: two members of one life event named, or one with 一起办/一件事."""
        named = {m.ids[0] for m in mentions if len(m.ids) == 1}
        jointly = bool(JOINTLY.search(text))
        # 开公司能不能一次把执照、刻章都办了: the life event named by its own name, and done together.
        own = next((i for i in named if i in self._bundle_members), None)
        if own is not None and jointly:
            return own
        for bundle_id, members in self._bundle_members.items():
            together = len(named & members)
            # Two members alone may be a service and one of its materials (上户口要出生证吗).
            if (
                together >= 3
                or (together == 2 and jointly)
                or (together == 1 and jointly and sum(1 for ms in self._bundle_members.values() if named & ms) == 1)
            ):
                return bundle_id
        return None

    def _family_of_all(self, ids: Sequence[str]) -> Optional[Family]:
        """The family every candidate belongs to, if they share one."""
        families = {self._family_of.get(i) for i in ids}
        if len(families) == 1:
            family_id = families.pop()
            return self._catalogue.families.get(family_id) if family_id else None
        return None

    def _settle_by_cues(self, text: str, mention: Mention, family: Family) -> MatchResult:
        """驾照丢了 → 补领; 驾照注销 → no guide; 驾照 alone → ask the family's question.

        A member's cue beats an uncovered 办理项's; several members' cues narrow the choice.
        """
        hits, gap = self._catalogue.settle_by_cues(family.id, text)
        if len(hits) == 1:
            return MatchResult(hits[0], Mention(mention.start, mention.end, mention.term, hits, mention.tier), ())
        if gap is not None:
            return MatchResult(None, mention, (), uncovered=gap, department=family.department_id, department_named=True)
        candidates = hits or tuple(item.id for item in self._catalogue.members_of(family.id))
        if len(candidates) == 1:  # a family of one: 出生证 is 出生医学证明办理 unless a gap's cue says otherwise
            return MatchResult(
                candidates[0], Mention(mention.start, mention.end, mention.term, candidates, mention.tier), ()
            )
        return MatchResult(
            None, Mention(mention.start, mention.end, mention.term, candidates, mention.tier), candidates
        )

    def department_named(self, text: str) -> Optional[str]:
        """The department whose domain the sentence names: the one topic word found, or, when words
        of several departments are there (驾校乱收费: 驾校 and 乱收费), the one of them the sentence
        resembles most, else the longest word's."""
        text = text.lower()
        named = list(dict.fromkeys(dept for topic, dept in self._topics if topic in text))
        if not named:
            named = self._departments_sounded(text)
        if len(named) > 1:
            resembled = self._department_of_nearest_phrases(GENERIC_WORDS.sub(" ", text))
            if resembled in named[1:]:  # a topic word alone is evidence that resemblance does not overrule
                return resembled
        return named[0] if named else None

    def _departments_sounded(self, text: str) -> List[str]:
        """Departments whose words the sentence holds with a pinyin slip, longest word first."""
        found = []
        for match_id, start, end in self._topic_sounds(Doc(self._nlp.vocab, words=list(_loose_pinyin(text)))):
            topic, dept = self._topics[int(self._nlp.vocab.strings[match_id])]
            if _is_a_slip(text, start, end, topic):
                found.append((-(end - start), start, dept))
        return list(dict.fromkeys(dept for _, _, dept in sorted(found)))

    def _prefer_items_over_their_bundles(self, mentions: Sequence[Mention]) -> Mention:
        """孩子出生了要上户口 is about 上户口, not the whole 新生儿出生一件事."""
        best = mentions[0]
        if len(best.ids) == 1 and best.ids[0] in self._bundle_members:
            members = self._bundle_members[best.ids[0]]
            for other in mentions[1:]:
                if len(other.ids) == 1 and other.ids[0] in members and other.tier == best.tier:
                    return other
        return best
