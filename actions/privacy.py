"""Masking of personal numbers in anything shown back or stored.

ID-card numbers keep their first 6 and last 4 characters (110105********0123),
mobile numbers their first 3 and last 4 (138****8000), as the national display
rules do.
"""
from __future__ import annotations

import hashlib
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path

_ID_CARD = re.compile(r"(?<![0-9])([1-9][0-9]{5})([0-9]{8})([0-9]{3}[0-9Xx])(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(1[3-9][0-9])([0-9]{4})([0-9]{4})(?![0-9])")
MOBILE_NUMBER = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def mask_personal_data(text: str) -> str:
    """The text with every ID-card and mobile number masked."""
    text = _ID_CARD.sub(lambda m: f"{m.group(1)}********{m.group(3)}", text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


SALT_FILE = Path(__file__).resolve().parents[1] / "var" / ".sender_salt"


@lru_cache(maxsize=None)
def _salt() -> str:
    """SENDER_HASH_SALT, or a random salt kept in var/ (the same for every store)."""
    if os.environ.get("SENDER_HASH_SALT"):
        return os.environ["SENDER_HASH_SALT"]
    if not SALT_FILE.exists():
        SALT_FILE.parent.mkdir(parents=True, exist_ok=True)
        SALT_FILE.write_text(secrets.token_hex(16))
    return SALT_FILE.read_text().strip()


def sender_key(sender_id: str) -> str:
    """A salted hash of a sender id: stores keep this, never the id itself."""
    return hashlib.sha256(f"{_salt()}:{sender_id}".encode()).hexdigest()
