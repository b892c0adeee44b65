"""Does the NLU stay fast with a region's catalogue imported beside our 100 guides?

Imports the shipped Guangdong sample (knowledge_base/imports/samples/, 2,262 records) into a
temporary folder as `kb import-catalogue` does, then, in a fresh process for each catalogue, loads
the trained model with an empty import folder and then with the import, and prints start-up
time, parse p50/p95 over the citizen questions, and peak memory. Run after `make train`:
python -m bench.catalogue_scale
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "knowledge_base" / "imports" / "samples" / "guangdong_service_guides.jsonl"


def build(folder: Path) -> int:
    """The sample imported into `folder`; the number of imported records."""
    from common import settings
    from knowledge_base import load_catalogue
    from knowledge_base.imports import load_mapping, plan_import, read_export
    from knowledge_base.imports.landing import write_import

    mapping = load_mapping("gdzwfw")
    records, errors = read_export(SAMPLE, mapping)
    assert not errors, errors[:3]
    plan = plan_import(records, load_catalogue(settings.KNOWLEDGE_BASE_DIR), mapping)
    write_import(plan, folder, mapping.source, SAMPLE.name, "bench")
    return len(plan.imported)


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


def measure(imports: Optional[Path]) -> dict:
    """`imports` None: our 100 guides alone (an empty import folder, whatever var/imports holds)."""
    env = {k: v for k, v in os.environ.items() if k not in ("KB_PROFILE", "KB_IMPORTS_DIR")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env["KB_IMPORTS_DIR"] = str(imports if imports is not None else Path(tempfile.mkdtemp(prefix="no-imports-")))
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            MEASURE,
            str(ROOT / "models" / "zhengwu.tar.gz"),
            str(ROOT / "tests" / "calibration"),
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
        extra = build(Path(tmp) / "gd")
        rows = [("100 entries", measure(None)), (f"+{extra} imported", measure(Path(tmp) / "gd"))]
    print(f"{'catalogue':<18}{'start-up':>10}{'parse p50':>11}{'parse p95':>11}{'peak RSS':>11}")
    for label, r in rows:
        print(f"{label:<18}{r['startup_s']:>9.1f}s{r['p50']:>9.1f}ms{r['p95']:>9.1f}ms{r['rss_mb']:>9.0f}MB")
    print(
        f"({rows[0][1]['n']} citizen questions parsed in process; memory difference "
        f"{rows[1][1]['rss_mb'] - rows[0][1]['rss_mb']:.0f} MB)"
    )


if __name__ == "__main__":
    main()
