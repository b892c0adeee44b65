"""Asking for a callback number: consent in words first, then an 11-digit mobile number.

One reading for both forms that ask it — the 差评's 回访 (feedback_form) and human help's
回电 (callback_form) — so 同意 / 不需要 / a number typed straight away mean the same in both.
The number is kept only in the slot and the ticket it is asked for; it is masked wherever shown.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Text

from common.privacy import MOBILE_NUMBER

AGREED, DECLINED, NO_NUMBER = "同意", "不需要", "无"
_DECLINES = re.compile(r"不需要|不用|不同意|拒绝|否")
_AGREES = re.compile(r"同意|可以|好|需要|是")
_SKIPS = re.compile(r"不需要|不用|算了")


class CallbackNumberValidation:
    """The `validate_callback_consent` and `validate_callback_phone` of a FormValidationAction."""

    def validate_callback_consent(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        said = str(value or "")
        if _DECLINES.search(said):
            return {"callback_consent": DECLINED}
        phone = MOBILE_NUMBER.search(said)
        if _AGREES.search(said) or phone:
            return {"callback_consent": AGREED, **({"callback_phone": phone.group(0)} if phone else {})}
        dispatcher.utter_message(response="utter_consent_unclear")
        return {"callback_consent": None}

    def validate_callback_phone(self, value: Any, dispatcher, tracker, domain) -> Dict[Text, Any]:
        phone = MOBILE_NUMBER.search(str(value or ""))
        if phone is None:
            if _SKIPS.search(str(value or "")):
                return {"callback_phone": NO_NUMBER, "callback_consent": DECLINED}
            dispatcher.utter_message(response="utter_phone_unclear")
            return {"callback_phone": None}
        return {"callback_phone": phone.group(0)}


def given_number(consent: Any, phone: Any) -> str:
    """The number the citizen agreed to leave, or "" when they did not."""
    return str(phone) if consent == AGREED and phone and phone != NO_NUMBER else ""
