"""Knowledge-base changes reach the running bot without a restart or retraining.

A copy of the knowledge base is served by a real `rasa run` and action server
(KB_DIR); staff change it with `kb`, and the next messages show the effect.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from helpers import ROOT, ActionServer, start_rasa

TOKEN = "test-admin-token"


@pytest.fixture(scope="module")
def live_bot(tmp_path_factory):
    folder = tmp_path_factory.mktemp("live-kb")
    kb_dir = folder / "kb"
    shutil.copytree(
        ROOT / "knowledge_base", kb_dir, ignore=shutil.ignore_patterns("__pycache__", "*.py", "history.jsonl", "drafts")
    )
    env = {"KB_DIR": str(kb_dir), "KB_ADMIN_TOKEN": TOKEN}
    actions = ActionServer(folder / "checklists.db", **env)
    rasa, url = start_rasa(actions.url, folder, **env)
    try:
        yield url, f"http://127.0.0.1:{actions.port}", kb_dir
    finally:
        rasa.terminate()
        rasa.wait(timeout=30)
        actions.stop()


def say(url: str, text: str) -> str:
    body = json.dumps({"sender": f"live-{uuid.uuid4().hex[:8]}", "message": text}).encode()
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return "\n".join(m.get("text", "") for m in json.loads(response.read()))


def kb(kb_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tools.kb", *args, "--root", str(kb_dir)],
        cwd=ROOT,
        env={**os.environ, "KB_ADMIN_TOKEN": TOKEN, "KB_OPERATOR": "测试员"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def eventually(check, seconds: float = 15.0):
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(1)


def test_a_new_alias_is_understood_in_the_next_messages_without_retraining(live_bot):
    url, _, kb_dir = live_bot
    assert "普通护照签发" not in say(url, "环球通行本要带什么材料")
    assert kb(kb_dir, "add-alias", "passport", "环球通行本").returncode == 0
    assert eventually(lambda: "普通护照签发" in say(url, "环球通行本要带什么材料"))


def test_a_published_item_is_served_at_once(live_bot):
    url, _, kb_dir = live_bot
    assert kb(kb_dir, "new", "fishing-license", "--name", "休闲垂钓证办理").returncode == 0
    draft = kb_dir / "drafts" / "fishing-license.yml"
    text = draft.read_text(encoding="utf-8").replace("（待填写）群众的口语叫法", "钓鱼证").replace("（待填写）", "")
    draft.write_text(text, encoding="utf-8")
    assert kb(kb_dir, "publish", "fishing-license").returncode == 0
    assert eventually(lambda: "休闲垂钓证办理" in say(url, "办钓鱼证要带什么"))


def test_a_broken_edit_leaves_the_good_version_serving_and_reload_reports_it(live_bot):
    url, actions_url, kb_dir = live_bot
    passport = kb_dir / "items" / "passport.yml"
    good = passport.read_text(encoding="utf-8")
    try:
        passport.write_text("id: passport\nname: [oops\n", encoding="utf-8")
        result = kb(kb_dir, "reload", "--rasa-url", url, "--actions-url", actions_url)
        assert result.returncode == 1
        assert "✓ 助手（NLU）：已重新加载" in result.stdout and "✓ 动作服务器：已重新加载" in result.stdout
        assert "passport.yml:3: 字段 （整个文件）: YAML 格式错误" in result.stdout
        assert "仍使用其上一个正确版本" in result.stdout
        answer = say(url, "办护照要带什么")
        assert "普通护照签发" in answer and "居民身份证" in answer
    finally:
        passport.write_text(good, encoding="utf-8")
    assert kb(kb_dir, "reload", "--rasa-url", url, "--actions-url", actions_url).returncode == 0


@pytest.mark.parametrize("which", ["rasa", "actions"])
@pytest.mark.parametrize("header", [None, "Bearer wrong-token"])
def test_the_reload_endpoints_need_the_admin_token(live_bot, which, header):
    url, actions_url, _ = live_bot
    target = f"{url}/webhooks/kb_admin/reload" if which == "rasa" else f"{actions_url}/admin/reload"
    request = urllib.request.Request(
        target, b"{}", {"Content-Type": "application/json", **({"Authorization": header} if header else {})}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401
