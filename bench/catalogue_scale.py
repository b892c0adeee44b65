"""Does the NLU stay fast with a catalogue twenty times larger?

Builds a temporary knowledge base: the real 100 entries plus one minimal item per
distinct service name in ../shared/reference/guangdong_service_guides.jsonl (about
2,200), then, in a fresh process for each catalogue, loads the trained model with
KB_DIR pointing at it and prints start-up time, parse p50/p95 over the frozen citizen
questions, and peak memory. Run after `make train`: python -m bench.catalogue_scale
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference" / "guangdong_service_guides.jsonl"


def reference_items(limit: int = 0):
    """One minimal, valid 办事指南 per distinct service name of the reference file."""
    seen = set()
    for line in REFERENCE.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        name = re.sub(r"\s+", "", record.get("name") or "")
        if not name or name in seen:
            continue
        seen.add(name)
        n = len(seen)
        materials = [m for m in (record.get("materials") or []) if isinstance(m, str) and m.strip()][:8]
        yield {
            "id": f"ref-{n:05d}",
            "name": name,
            "kind": "办理",
            "aliases": [name],
            "department": record.get("department") or "（参考数据）",
            "department_id": "gov-service",
            "service_object": "个人",
            "summary": name,
            "conditions": ["（参考数据，仅用于性能测试）"],
            "materials": [
                {"name": m[:60], "form": "原件", "copies": 1, "medium": "纸质", "required": "必要", "source": "申请人"}
                for m in materials
            ]
            or [
                {
                    "name": "居民身份证",
                    "form": "原件",
                    "copies": 0,
                    "medium": "纸质",
                    "required": "必要",
                    "source": "申请人本人持有",
                }
            ],
            "process": ["提交申请", "审核", "办结"],
            "time_limit": {
                "legal": str(record.get("legal_time_limit") or "—"),
                "promised": str(record.get("promised_time_limit") or "—"),
            },
            "fees": {"free": True},
            "location": {"place": "（参考数据）", "hours": "工作日"},
            "contact": "12345",
            "online": {"available": False},
            "trips": 1,
            "delivery": ["自取"],
            "faq": [],
            "local_note": "以当地政务服务中心公布为准。",
        }
        if limit and n >= limit:
            return


def build(folder: Path) -> int:
    shutil.copytree(ROOT / "knowledge_base", folder, ignore=shutil.ignore_patterns("*.py", "__pycache__", "drafts"))
    count = 0
    for item in reference_items():
        (folder / "items" / f"{item['id']}.yml").write_text(yaml.safe_dump(item, allow_unicode=True), "utf-8")
        count += 1
    return count


MEASURE = r"""
import asyncio, json, logging, resource, statistics, sys, time
from pathlib import Path
import yaml
started = time.perf_counter()
from rasa.core.agent import Agent
agent = Agent.load(sys.argv[1])
loop = asyncio.new_event_loop()
loop.run_until_complete(agent.parse_message("预热"))
startup = time.perf_counter() - started
questions = []
for name in ("in_catalogue_a.yml", "in_catalogue_b.yml", "outside.yml"):
    questions += [q["q"] for q in yaml.safe_load(Path(sys.argv[2], name).read_text(encoding="utf-8"))]
times = []
for q in questions:
    t = time.perf_counter()
    loop.run_until_complete(agent.parse_message(q))
    times.append((time.perf_counter() - t) * 1000)
times.sort()
print(json.dumps({"startup_s": startup, "p50": times[len(times) // 2], "p95": times[int(len(times) * .95)],
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "n": len(times)}))
"""


def measure(kb_dir: Path) -> dict:
    env = {**os.environ, "KB_DIR": str(kb_dir), "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            MEASURE,
            str(ROOT / "models" / "zhengwu.tar.gz"),
            str(ROOT / "tests" / "eval" / "citizens"),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="zhengwu-scale-") as tmp:
        big = Path(tmp) / "kb"
        extra = build(big)
        rows = [("100 entries", measure(ROOT / "knowledge_base")), (f"{100 + extra} entries", measure(big))]
    print(f"{'catalogue':<16}{'start-up':>10}{'parse p50':>11}{'parse p95':>11}{'peak RSS':>11}")
    for label, r in rows:
        print(f"{label:<16}{r['startup_s']:>9.1f}s{r['p50']:>9.1f}ms{r['p95']:>9.1f}ms{r['rss_mb']:>9.0f}MB")
    print(
        f"({rows[0][1]['n']} frozen citizen questions parsed in process; memory difference "
        f"{rows[1][1]['rss_mb'] - rows[0][1]['rss_mb']:.0f} MB)"
    )


if __name__ == "__main__":
    main()
