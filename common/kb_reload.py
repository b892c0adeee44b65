"""Asking the running bot to re-read the knowledge base now: `kb reload`, and the console after a publish.

Rasa's `POST /webhooks/kb_admin/reload` and the action server's `POST /admin/reload`, with the
admin token. Without it the servers notice a changed file within two seconds anyway.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import List

from common.admin import admin_token


@dataclass(frozen=True)
class Reloaded:
    """One server's answer: reloaded (which version, how many entries, files still broken) or why not."""

    name: str
    ok: bool
    message: str
    errors: List[str] = field(default_factory=list)


def reload_servers(rasa_url: str, actions_url: str, timeout: float = 30) -> List[Reloaded]:
    targets = {
        "助手（NLU）": f"{rasa_url.rstrip('/')}/webhooks/kb_admin/reload",
        "动作服务器": f"{actions_url.rstrip('/')}/admin/reload",
    }
    results = []
    for name, url in targets.items():
        request = urllib.request.Request(
            url, b"{}", {"Authorization": f"Bearer {admin_token()}", "Content-Type": "application/json"}, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                result = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            why = "令牌不对（KB_ADMIN_TOKEN）" if exc.code == 401 else f"HTTP {exc.code}"
            results.append(Reloaded(name, False, why))
            continue
        except OSError as exc:
            results.append(Reloaded(name, False, f"连不上 {url}（{exc}）。服务在运行吗？"))
            continue
        results.append(
            Reloaded(
                name,
                True,
                f"已重新加载，第 {result['version']} 版，{result['entries']} 个事项。",
                [str(e) for e in result["errors"]],
            )
        )
    return results
