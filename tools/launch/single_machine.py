"""`make run`: every process of the single-machine service, started, watched and stopped together.

The action server, the kiosk page and the staff console (and the Telegram relay when
TELEGRAM_BOT_TOKEN is set) run as children with their logs in var/; `rasa run` (the command
`processes.rasa_command` builds, as the tests and the benchmark start it) stays in the
foreground so its log is the terminal's. When Rasa answers, the citizen-facing addresses are
printed; Ctrl+C, or any child that dies, stops them all.

Rasa's HTTP API (/model/parse, /conversations…) is behind the admin token (KB_ADMIN_TOKEN, else a
random one kept in var/.admin_token); the channels stay public. Rasa listens on RASA_INTERFACE and
the action server on SANIC_HOST (127.0.0.1 unless the operator opens them).
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Dict, FrozenSet, List, Optional, Sequence

from common import settings
from common.admin import admin_token
from common.settings import ROOT, VAR_DIR
from common.var_dir import owner_only
from tools.launch.processes import (
    ProcessGroup,
    actions_command,
    console_command,
    kiosk_command,
    rasa_command,
    telegram_command,
    wait_for,
    wechat_command,
)


@dataclass(frozen=True)
class Ports:
    rasa: int
    actions: int
    kiosk: int
    console: int


def configured_relays() -> FrozenSet[str]:
    """The messaging relays whose credentials are set: they start with `make run`."""
    relays = {"telegram": bool(settings.telegram_bot_token())}
    relays["wechat"] = bool(settings.wechat_token())
    return frozenset(name for name, configured in relays.items() if configured)


def child_commands(ports: Ports, relays: FrozenSet[str] = frozenset()) -> Dict[str, List[str]]:
    """What runs beside Rasa, by the name of its log in var/."""
    commands = {
        "actions": actions_command(ports.actions),
        "kiosk": kiosk_command(ports.kiosk, f"http://localhost:{ports.rasa}"),
        "console": console_command(ports.console),
    }
    if "telegram" in relays:
        commands["telegram"] = telegram_command()
    if "wechat" in relays:
        commands["wechat"] = wechat_command()
    return commands


def banner(ports: Ports, token: str, relays: FrozenSet[str]) -> str:
    console_hint = subprocess.run(
        [sys.executable, "-m", "console", "hint", "--port", str(ports.console)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.rstrip()
    rest = f"localhost:{ports.rasa}/webhooks/rest/webhook"
    lines = [
        "",
        "================ 政务服务助手已启动 ================",
        f"服务大厅自助屏：在浏览器打开  http://localhost:{ports.kiosk}/",
        console_hint,
        "Telegram：已连接（日志 var/telegram.log）"
        if "telegram" in relays
        else "Telegram：设置 TELEGRAM_BOT_TOKEN 后重新 make run，或另开终端 make telegram",
        f"微信公众号：服务器地址指向本机 :{settings.wechat_port()}/wechat（日志 var/wechat.log）"
        if "wechat" in relays
        else "微信公众号：设置 WECHAT_TOKEN（及 WECHAT_APP_ID、WECHAT_APP_SECRET）后重新 make run（docs/wechat.md）",
        "终端对话：另开一个终端运行  make shell",
        f"REST 接口：curl -s {rest} -H 'Content-Type: application/json' \\",
        '             -d \'{"sender":"me","message":"办护照要带什么"}\'',
        f'NLU 解析： curl -s "localhost:{ports.rasa}/model/parse?token={token}" -d \'{{"text":"办护照要带什么"}}\'',
        "（HTTP API 需要管理令牌：KB_ADMIN_TOKEN 或 var/.admin_token；渠道接口无需令牌）",
        "按 Ctrl+C 停止。",
        "==================================================",
    ]
    return "\n".join(lines)


def _stop_on_terminate(*_: object) -> None:
    raise KeyboardInterrupt


def run(ports: Ports) -> int:
    owner_only(VAR_DIR)
    # Ctrl+C, or a `kill` of the launcher (a service manager stopping it), stops every process in order.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop_on_terminate)
    relays = configured_relays()
    token = admin_token()
    env = {
        "RASA_URL": f"http://localhost:{ports.rasa}",
        "ACTIONS_URL": f"http://localhost:{ports.actions}",
    }
    print(
        f"Starting the action server on :{ports.actions}, Rasa on :{ports.rasa}, "
        f"the kiosk on :{ports.kiosk}, the console on :{ports.console}…",
        flush=True,
    )
    group = ProcessGroup(VAR_DIR, env, own_groups=True)  # Ctrl+C reaches the launcher, which stops them in order
    for name, command in child_commands(ports, relays).items():
        group.start(name, command)
    rasa = group.start("rasa", rasa_command(ports.rasa, ROOT / "endpoints.yml", token), log=False)
    stopping = threading.Event()

    def watch() -> None:
        """A child that dies takes the service down with a word on why, rather than half of it running."""
        while rasa.poll() is None and not stopping.is_set():
            dead = group.first_dead()
            if dead is not None and not stopping.is_set():
                name, proc = dead
                print(f"{name} stopped (exit {proc.returncode}); see var/{name}.log. Stopping.", flush=True)
                rasa.terminate()
                return
            time.sleep(1)

    def announce() -> None:
        try:
            wait_for(f"http://127.0.0.1:{ports.rasa}/status?token={token}", timeout=600)
        except RuntimeError:
            return
        print(banner(ports, token, relays), flush=True)

    threading.Thread(target=announce, daemon=True).start()
    threading.Thread(target=watch, daemon=True).start()
    try:
        return rasa.wait()
    except KeyboardInterrupt:
        print("\n正在停止…", flush=True)
        return 0
    finally:
        stopping.set()
        group.stop()


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rasa-port", type=int, default=5005)
    parser.add_argument("--actions-port", type=int, default=5055, help="must match action_endpoint in endpoints.yml")
    parser.add_argument("--kiosk-port", type=int, default=8080)
    parser.add_argument("--console-port", type=int, default=8090)
    args = parser.parse_args(argv)
    return run(Ports(args.rasa_port, args.actions_port, args.kiosk_port, args.console_port))
