"""`make run`'s launcher: what it starts beside Rasa."""

from __future__ import annotations

from tools.launch.single_machine import Ports, child_commands, configured_relays

PORTS = Ports(rasa=5005, actions=5055, kiosk=8080, console=8090)


def test_the_kiosk_talks_to_this_rasa_and_a_messaging_relay_starts_only_with_its_credentials(monkeypatch):
    for name in ("TELEGRAM_BOT_TOKEN", "WECHAT_TOKEN", "WECHAT_APP_ID"):
        monkeypatch.delenv(name, raising=False)
    without = child_commands(PORTS, configured_relays())
    assert set(without) == {"actions", "kiosk", "console"}
    assert without["kiosk"][-2:] == ["--rasa-url", "http://localhost:5005"]
    assert "8090" in without["console"] and "5055" in without["actions"]
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("WECHAT_TOKEN", "token")
    assert set(child_commands(PORTS, configured_relays())) >= {"telegram", "wechat"}


def test_a_process_group_logs_each_process_sees_one_die_and_stops_the_rest(tmp_path):
    import sys

    from tools.launch.processes import ProcessGroup

    group = ProcessGroup(tmp_path, {"GREETING": "你好"}, own_groups=True)
    talker = "import os, time; print(os.environ['GREETING'], flush=True); time.sleep(60)"
    group.start("long", [sys.executable, "-c", talker])
    short = group.start("short", [sys.executable, "-c", "raise SystemExit(3)"])
    short.wait(timeout=30)
    assert group.first_dead() == ("short", short) and short.returncode == 3
    long = group.procs["long"]
    group.stop(timeout=10)
    assert long.poll() is not None, "stop leaves nothing running"
    assert (tmp_path / "long.log").read_text(encoding="utf-8").strip() == "你好"  # its log, with the group's env
