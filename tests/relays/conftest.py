"""Fixtures of the kiosk's browser tests: a kiosk on the real assistant, and one on a scripted Rasa."""

from __future__ import annotations

from typing import Dict, Iterator, List

import pytest

from fake_servers import ScriptedRasa
from helpers import Kiosk


def scripted(message: str) -> List[Dict]:
    if message == "/greet":
        return [
            {
                "text": "您好！请问您要办什么事？",
                "buttons": [
                    {"title": "办护照", "payload": '/inquire_service{"service":"passport"}'},
                    {"title": "社保卡", "payload": '/inquire_service{"service":"social-security-card"}'},
                ],
            }
        ]
    if message == "/restart":
        return []
    return [{"text": f"您问的是：{message}"}, {"text": '<img src=x onerror="alert(2)"><b>粗体</b>'}]


@pytest.fixture(scope="module")
def sheets_db(checklist_db) -> str:
    return f"sqlite:///{checklist_db.parent / 'sheets.db'}"  # where the session's action server keeps the links


@pytest.fixture(scope="module")
def real_kiosk(rasa_server, sheets_db) -> Iterator[Kiosk]:
    kiosk = Kiosk(rasa_server[0], SHEET_LINKS_DB_URL=sheets_db)
    yield kiosk
    assert "Traceback" not in kiosk.stop()


@pytest.fixture(scope="module")
def scripted_rasa() -> Iterator[ScriptedRasa]:
    rasa = ScriptedRasa(scripted)
    yield rasa
    rasa.stop()
