"""Masking of personal numbers in anything shown back, logged or stored.

ID-card numbers keep their first 6 and last 4 characters (110105********0123),
bank-card numbers their first 4 and last 4 (6222***********1234), mobile numbers
their first 3 and last 4 (138****8000), as the national display rules do.
An 18-character number is an ID-card number when its GB 11643 check digit is
right, or when it carries a plausible birth date (a mistyped ID is still personal).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from functools import lru_cache

from common import settings
from common.local_secret import local_secret

_START = r"(?<![0-9])"
_ID_CARD = re.compile(_START + r"([1-9][0-9]{5})([0-9]{8})([0-9]{3}[0-9Xx])(?![0-9])")
_BANK_CARD = re.compile(_START + r"[0-9](?:[ -]?[0-9]){15,18}(?![0-9])")
_MOBILE = re.compile(_START + r"(1[3-9][0-9])([ -]?[0-9]{4})([ -]?)([0-9]{4})(?![0-9])")
MOBILE_NUMBER = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_BIRTH_DATE = re.compile(r"(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])")


def id_check_digit_ok(number: str) -> bool:
    """GB 11643-1999: the 18th character is fixed by the first 17."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return "10X98765432"[total % 11] == number[17].upper()


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _mask_id(m: re.Match) -> str:
    number = m.group(0)
    if id_check_digit_ok(number) or _BIRTH_DATE.fullmatch(m.group(2)):
        return f"{m.group(1)}********{m.group(3)}"
    return number


def _mask_bank_card(m: re.Match) -> str:
    digits = re.sub(r"[ -]", "", m.group(0))
    if 16 <= len(digits) <= 19 and luhn_ok(digits):
        return f"{digits[:4]}{'*' * (len(digits) - 8)}{digits[-4:]}"
    return m.group(0)


def mask_personal_data(text: str) -> str:
    """The text with every ID-card, bank-card and mobile number masked."""
    if not text:
        return text
    text = _ID_CARD.sub(_mask_id, text)
    text = _BANK_CARD.sub(_mask_bank_card, text)
    return _MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(4)}", text)


SALT_FILE = settings.VAR_DIR / ".sender_salt"


@lru_cache(maxsize=None)
def _salt() -> str:
    """SENDER_HASH_SALT, or a random salt kept in var/ (the same for every store)."""
    return settings.sender_hash_salt() or local_secret(SALT_FILE, lambda: secrets.token_hex(16))


def sender_key(sender_id: str) -> str:
    """A salted hash of a sender id: stores keep this, never the id itself."""
    return hashlib.sha256(f"{_salt()}:{sender_id}".encode()).hexdigest()


def mask_in(value):
    """Every string inside a JSON-like value masked; numbers and keys left alone."""
    if isinstance(value, str):
        return mask_personal_data(value)
    if isinstance(value, dict):
        return {k: mask_in(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_in(v) for v in value]
    return value


_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _unescape(match: re.Match) -> str:
    code = int(match.group(1), 16)
    return match.group(0) if 0xD800 <= code <= 0xDFFF else chr(code)


def _masking_record_factory(make_record):
    def factory(*args, **kwargs):
        record = make_record(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed log call is logging's business
            return record
        # Rasa's JSON log lines write 证 as \u8bc1, which would hide where a number starts.
        message = _JSON_ESCAPE.sub(_unescape, message)
        masked = mask_personal_data(message)
        if masked != message:
            record.msg, record.args = masked, None
        return record

    factory.masks_personal_data = True
    return factory


def install_log_masking() -> None:
    """Mask personal numbers in every log record this process writes, before any handler sees it."""
    import logging

    current = logging.getLogRecordFactory()
    if not getattr(current, "masks_personal_data", False):
        logging.setLogRecordFactory(_masking_record_factory(current))
