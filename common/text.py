"""One normalisation for everything that reads citizens' text.

Traditional characters become simplified (辦護照 → 办护照), full-width letters
and digits become half-width, whitespace is collapsed and very long input is
cut, so that NLU cost stays bounded whatever a citizen pastes in.
"""

from __future__ import annotations

import re
import unicodedata

import zhconv

MAX_NLU_CHARS = 500
_SPACES = re.compile(r"\s+")


def normalize_text(text: str, max_chars: int = MAX_NLU_CHARS) -> str:
    """Simplified-Chinese, NFKC-folded, single-spaced text of at most `max_chars`."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _SPACES.sub(" ", text).strip()[:max_chars]
    return zhconv.convert(text, "zh-cn")


def normalize_term(term: str) -> str:
    """How a name is compared: simplified, lower-case, without spaces (the NLU's terms, the import's
    matching of a record's name to an entry's)."""
    return normalize_text(term).lower().replace(" ", "")


def longest_common_run(a: str, b: str) -> int:
    """The length of the longest run of characters that `a` and `b` share (那养老的呢 and a record's name)."""
    best = 0
    for i in range(len(a)):
        for j in range(i + best + 1, len(a) + 1):
            if a[i:j] in b:
                best = j - i
            else:
                break
    return best
