"""Adding a channel is one subclass of `Relay`: it says how to deliver and refuse, and gets the
shared turn (limits, the human-help divert, the Rasa call, polite failures) for nothing.

`Notebook` here is a whole channel in a dozen lines, the shape docs/architecture.md shows.
"""

from __future__ import annotations

import asyncio
from typing import List

import pytest

from common.rasa_client import UNAVAILABLE, BotMessage
from common.rate_limit import TOO_FAST
from domain_logic.handover.store import HandoverStore
from fake_servers import ScriptedRasa
from helpers import free_port
from relays.base import EMPTY, Relay, Turn


class Notebook(Relay[List[str], int]):
    """A channel that writes replies into a list: what a real one sends over its protocol."""

    name = "notebook"

    async def deliver(self, to: List[str], replies: List[BotMessage]) -> int:
        to.extend(f"{r.text} {[b.title for b in r.buttons]}" if r.buttons else r.text for r in replies)
        return 200

    async def refuse(self, to: List[str], turn: Turn) -> int:
        to.append(f"({turn.refusal})")
        return turn.status


def scripted(message: str):
    return [{"text": f"关于“{message}”：请带身份证。", "buttons": [{"title": "办理地点", "payload": "/ask_location"}]}]


@pytest.fixture()
def rasa():
    server = ScriptedRasa(scripted)
    yield server
    server.stop()


def talk(relay: Relay, sender: str, *texts: str) -> List[str]:
    page: List[str] = []

    async def run() -> None:
        for text in texts:
            await relay.relay(sender, text, page)
        await relay.close()

    asyncio.run(run())
    return page


def test_a_new_channel_gets_the_assistant_and_names_itself(rasa, tmp_path):
    relay = Notebook(rasa.url)
    relay.human.store = HandoverStore(f"sqlite:///{tmp_path / 'help.db'}")
    assert talk(relay, "nb-1", "办护照要带什么") == ["关于“办护照要带什么”：请带身份证。 ['办理地点']"]
    assert rasa.received[0]["sender"] == "nb-1"
    assert rasa.received[0]["input_channel"] == "notebook"  # so that reports tell the channels apart


def test_the_shared_turn_refuses_politely_for_every_channel(rasa, tmp_path, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "2")
    monkeypatch.setenv("MAX_MESSAGE_CHARS", "50")
    relay = Notebook(rasa.url)
    relay.human.store = HandoverStore(f"sqlite:///{tmp_path / 'help.db'}")
    page = talk(relay, "nb-2", "   ", "办" * 51, "你好", "你好", "你好")
    assert page[0] == f"({EMPTY})"
    assert "50 字以内" in page[1]
    assert page[-1] == f"({TOO_FAST})" and len(rasa.received) == 2  # nothing reached Rasa that was refused


def test_when_the_assistant_is_away_the_citizen_is_told_so_not_shown_an_error(tmp_path):
    relay = Notebook(f"http://127.0.0.1:{free_port()}")  # nobody listens
    relay.human.store = HandoverStore(f"sqlite:///{tmp_path / 'help.db'}")
    assert talk(relay, "nb-3", "办护照要带什么") == [f"({UNAVAILABLE})"]


def test_while_a_person_helps_the_message_goes_to_them_not_to_rasa(rasa, tmp_path):
    store = HandoverStore(f"sqlite:///{tmp_path / 'help.db'}")
    ticket = store.queue("nb-4", "notebook", {"question": "办护照"})
    relay = Notebook(rasa.url)
    relay.human.store = store
    talk(relay, "nb-4", "我还在等")
    assert rasa.received == []
    assert [m.text for m in store.messages(ticket.id)][-1] == "我还在等"
