"""The words that name each catalogue entry: its official name and aliases.

Both the jieba user dictionary and the service matcher are built from this
one list, so a term staff add is segmented and matched the same way.
"""

from __future__ import annotations

import re
from typing import Dict, Iterable, Set

from common.text import normalize_term
from knowledge_base import Catalogue

_BRACKETS = re.compile(r"[（(]([^）)]*)[）)]")


def name_variants(name: str) -> Set[str]:
    """'出生登记（新生儿申报户口）' → {full name, '出生登记', '新生儿申报户口'}.

    Parts of a parenthesis split by '/', '、' or '，' are not names on their own
    ('到期/损坏'), so only an undivided parenthesis counts as a variant.
    """
    variants = {name, _BRACKETS.sub("", name).strip()}
    for inner in _BRACKETS.findall(name):
        if not re.search(r"[/、，,]", inner) and len(inner) >= 4:
            variants.add(inner.strip())
    return {v for v in variants if v}


def service_terms(catalogue: Catalogue) -> Dict[str, Set[str]]:
    """term → ids of the entries it names (more than one id means ambiguous).

    A family's terms (驾照, 社保卡) name every member of the family: the rest of
    the sentence, through the members' cues, says which one is meant.
    """
    index: Dict[str, Set[str]] = {}
    for entry in catalogue.entries():
        for term in _terms_of(entry.name, entry.aliases):
            index.setdefault(term, set()).add(entry.id)
    for family in catalogue.families.values():
        members = {item.id for item in catalogue.members_of(family.id)}
        for term in _terms_of(family.name, family.terms):
            if members:
                index.setdefault(term, set()).update(members)
    return index


def _terms_of(name: str, aliases: Iterable[str]) -> Set[str]:
    terms = {normalize_term(t) for t in name_variants(name) | set(aliases)}
    return {t for t in terms if len(t) >= 2}
