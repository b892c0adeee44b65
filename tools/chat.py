"""`make shell`: chat with the running assistant from a terminal, over Rasa's REST channel.

Buttons are shown numbered; type the number to press one. Unlike `rasa shell`
it loads no model of its own, so it starts at once beside `make run`.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
import uuid
from typing import Dict, List


def send(url: str, sender: str, text: str) -> List[Dict]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read().decode())


def refusal(exc: urllib.error.HTTPError) -> str:
    """What the REST channel said when it refused a message ({"error": …}), else the HTTP status."""
    try:
        return str(json.loads(exc.read().decode())["error"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {exc.code}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://localhost:5005/webhooks/rest/webhook")
    args = parser.parse_args()
    sender = f"shell-{uuid.uuid4().hex[:8]}"
    buttons: List[Dict] = []
    print("政务服务助手（输入 /quit 退出）")
    while True:
        try:
            text = input("您：").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if text in ("/quit", "/exit"):
            return
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            text = buttons[int(text) - 1]["payload"]
        try:
            replies = send(args.url, sender, text)
        except urllib.error.HTTPError as exc:  # refused: too long, too fast… (docs/operations.md "Security")
            print(f"（{refusal(exc)}）", file=sys.stderr)
            continue
        except (urllib.error.URLError, OSError) as exc:
            print(f"（连不上助手：{exc}。请先在另一个终端运行 make run）", file=sys.stderr)
            continue
        buttons = []
        for reply in replies:
            if reply.get("text"):
                print(f"助手：{reply['text']}")
            for button in reply.get("buttons") or []:
                buttons.append(button)
                print(f"   [{len(buttons)}] {button['title']}")


if __name__ == "__main__":
    main()
