"""Masking of personal numbers in anything shown back or stored.

ID-card numbers keep their first 6 and last 4 characters (110105********0123),
mobile numbers their first 3 and last 4 (138****8000), as the national display
rules do.
"""
from __future__ import annotations

import re

_ID_CARD = re.compile(r"(?<![0-9])([1-9][0-9]{5})([0-9]{8})([0-9]{3}[0-9Xx])(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(1[3-9][0-9])([0-9]{4})([0-9]{4})(?![0-9])")


def mask_personal_data(text: str) -> str:
    """The text with every ID-card and mobile number masked."""
    text = _ID_CARD.sub(lambda m: f"{m.group(1)}********{m.group(3)}", text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
