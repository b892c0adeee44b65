"""Reading a citizen's answers in their own words.

Buttons send the exact option, but people also type "我自己去", "都有了，就是没有照片"
or "户口本还没找到". Anything not understood returns None, and the flow asks again.
"""

from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence

from domain_logic.checklist.plan import MISSING, READY, UNKNOWN, UNSURE
from knowledge_base import Question

_PUNCT = re.compile(r"[\s，,。.！!？?；;、~～…]+")
_DONT_KNOW = re.compile(r"不确定|不知道|不清楚|不记得|说不好|不太清楚")
_NO = re.compile(r"^(否|不|不是|没|没有|无|不用|no)$|^不是|^没有|^没")
_YES = re.compile(r"^(是|是的|对|对的|嗯|有|有的|要|需要|yes|y)$|^是|^有")
# Ways of saying an option, for the shared questions whose options are not yes/no.
_OPTION_WORDS = {
    "本人办理": r"本人|自己|我去|亲自",
    "委托他人": r"委托|代办|代理|别人|他人|家人|家里人|朋友|亲戚|爱人|老婆|老公|媳妇",
}

_ALL = re.compile(r"都有|都备|都带|都齐|全都|全部|齐了|都准备|都好了|都在")
_MISSING_WORDS = re.compile(r"还没|没有|没带|没准备|缺|丢了|找不到|不见了|没办|没开")
_READY_WORDS = re.compile(r"已备好|备好|有了|带了|准备好|拿到|好了|齐|有的|^有$|^ok$|^好$|没问题")
_CLAUSE = re.compile(r"[，,。；;]|就是|但是|不过|只是|除了|只有")
_SYNONYMS = {"相片": "照片", "户口本": "户口簿", "户口薄": "户口簿", "身份证": "身份证", "执照": "营业执照"}
_GENERIC = {"材料", "证明", "原件", "复印", "申请", "居民", "证件", "本人", "信息", "情况", "说明"}


def _clean(text: str) -> str:
    return _PUNCT.sub("", (text or "").strip().lower())


def read_option(text: str, question: Question) -> Optional[str]:
    """The option the citizen chose, UNKNOWN for "不知道", or None if not understood."""
    said = _clean(text)
    if not said:
        return None
    if _DONT_KNOW.search(said):
        return UNKNOWN
    for option in question.options:
        if said == _clean(option):
            return option
    if said.isdigit() and 1 <= int(said) <= len(question.options):
        return question.options[int(said) - 1]
    yes = [o for o in question.options if o in ("是", "有")]
    no = [o for o in question.options if o in ("否", "没有")]
    if yes and no:  # "不是" contains "是": read the negation first
        if _NO.search(said):
            return no[0]
        if _YES.search(said):
            return yes[0]
    matches = [o for o in question.options if _clean(o) in said]
    if len(matches) == 1:
        return matches[0]
    matches = [o for o in question.options if o in _OPTION_WORDS and re.search(_OPTION_WORDS[o], said)]
    return matches[0] if len(matches) == 1 else None


def _normalise(text: str) -> str:
    for word, canonical in _SYNONYMS.items():
        text = text.replace(word, canonical)
    return text


def mentioned(text: str, names: Sequence[str]) -> List[str]:
    """Material names the text refers to: they share a distinctive two-character word."""
    said = _normalise(_clean(text))
    out = []
    for name in names:
        plain = _normalise(_clean(name))
        pairs = {plain[i : i + 2] for i in range(len(plain) - 1)} - _GENERIC
        if any(p in said for p in pairs):
            out.append(name)
    return out


def _polarity(clause: str) -> Optional[str]:
    if _DONT_KNOW.search(clause):
        return UNSURE
    if _MISSING_WORDS.search(clause):
        return MISSING
    if _READY_WORDS.search(clause) or _ALL.search(clause):
        return READY
    return None


def read_statuses(text: str, current: str, pending: Sequence[str]) -> Optional[Dict[str, str]]:
    """Material name → status, from an answer about `current` (and maybe others).

    "已备好" answers the current material; "都有了，就是没有照片" answers every pending
    one; "户口本还没有" answers the one it names. None if nothing was understood.
    """
    said = _clean(text)
    if not said:
        return None
    except_for = re.search(r"除了(.+?)(?:以外|之外)?(?:都|其他|其余|别的)", said)
    if except_for:  # 除了委托书都有
        missing = mentioned(except_for.group(1), pending)
        if missing:
            return {name: (MISSING if name in missing else READY) for name in pending}
    result: Dict[str, str] = {}
    for clause in filter(None, _CLAUSE.split((text or "").lower())):
        clause = _clean(clause)
        polarity = _polarity(clause)
        names = mentioned(clause, pending)
        if polarity is None:
            continue
        if names:
            targets = names
        elif _ALL.search(clause):
            targets = list(pending)
        else:
            targets = [current]
        for name in targets:
            result[name] = polarity
    return result or None
