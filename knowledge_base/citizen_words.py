"""What citizens say for the official terms of a region's 事项清单 (鱼苗 for 水产苗种, 法考 for 法律职业资格).

Our own guides carry their aliases; thousands of imported records carry only their official names, so
one shared list (`imports/citizen_words.yml`, official term → the everyday words) lets the imported
matcher read a citizen's 鱼苗检疫 as 水产苗种检疫. It is data like the rest of the knowledge base:
a malformed line is an error for `kb validate`, and the rest of the list stays in use.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, Iterable, List, Tuple

import yaml

from common.text import normalize_term
from knowledge_base.validation import FileError

FILE = Path("imports") / "citizen_words.yml"  # under the knowledge-base folder
CitizenWords = Dict[str, Tuple[str, ...]]  # official term → what citizens say


def load_citizen_words(root: Path) -> Tuple[CitizenWords, List[FileError]]:
    path = Path(root) / FILE
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (OSError, yaml.YAMLError) as e:
        return {}, [FileError(str(path), "", f"无法读取：{e}")]
    if not isinstance(data, dict):
        return {}, [FileError(str(path), "", "应为“正式用语: [群众说法, …]”的列表")]
    words: CitizenWords = {}
    errors: List[FileError] = []
    for term, spoken in data.items():
        if not isinstance(term, str) or not isinstance(spoken, list) or not all(isinstance(s, str) for s in spoken):
            errors.append(FileError(str(path), str(term), "应为正式用语，后跟群众说法的列表"))
            continue
        words[term] = tuple(s for s in spoken if s and s != term)
    return words, errors


def not_ours(words: CitizenWords, our_terms: Iterable[str]) -> CitizenWords:
    """The words without those that are, or hold, or sit inside one of our guides' names and aliases
    (驾照, 户口, 领证 of 领证结婚): a question in those words is about a matter of ours."""
    ours = [normalize_term(t) for t in our_terms if len(normalize_term(t)) >= 2]
    kept: CitizenWords = {}
    for term, spoken in words.items():
        mine = tuple(w for w in spoken if not any(w in t or t in w for t in ours))
        if mine:
            kept[term] = mine
    return kept
