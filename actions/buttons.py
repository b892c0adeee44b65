"""Rasa buttons: a title, and a payload that asks an intent directly: `/intent{"entity": "value"}`.

The one way the actions build a payload. Entities are JSON-encoded, so a value with a quote
or a Chinese word can never break the message Rasa parses back.
"""

from __future__ import annotations

import json
from typing import Dict


def intent_payload(intent: str, **entities: str) -> str:
    """`/intent` with the entities Rasa should take as recognised, e.g. /ask_fee{"service": "passport"}."""
    return f"/{intent}{json.dumps(entities, ensure_ascii=False)}" if entities else f"/{intent}"


def button(title: str, intent: str, **entities: str) -> Dict[str, str]:
    return {"title": title, "payload": intent_payload(intent, **entities)}
