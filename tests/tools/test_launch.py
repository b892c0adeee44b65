"""`make run`'s launcher: what it starts beside Rasa."""

from __future__ import annotations

from tools.launch.single_machine import Ports, child_commands

PORTS = Ports(rasa=5005, actions=5055, kiosk=8080, console=8090)


def test_the_kiosk_talks_to_this_rasa_and_telegram_starts_only_with_its_token():
    without = child_commands(PORTS, telegram=False)
    assert set(without) == {"actions", "kiosk", "console"}
    assert without["kiosk"][-2:] == ["--rasa-url", "http://localhost:5005"]
    assert "8090" in without["console"] and "5055" in without["actions"]
    assert "telegram" in child_commands(PORTS, telegram=True)
