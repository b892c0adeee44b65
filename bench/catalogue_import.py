"""How long `kb import-catalogue` takes on the whole Guangdong sample export (issue 27: ≤ 60 s).

    .venv/bin/python -m bench.catalogue_import

Reads and checks every record, plans where each lands against the 100 entries, and writes the
import to a scratch folder, each step timed; prints the figures, asserts nothing.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from common import settings
from knowledge_base import load_catalogue
from knowledge_base.imports import load_mapping, plan_import, read_export
from knowledge_base.imports.landing import write_import

SAMPLE = settings.KNOWLEDGE_BASE_DIR / "imports" / "samples" / "guangdong_service_guides.jsonl"


def main() -> None:
    mapping = load_mapping("gdzwfw")
    started = time.perf_counter()
    records, errors = read_export(SAMPLE, mapping)
    read_at = time.perf_counter()
    plan = plan_import(records, load_catalogue(settings.KNOWLEDGE_BASE_DIR), mapping)
    planned_at = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        write_import(plan, Path(folder) / "gd", mapping.source, SAMPLE.name, "bench")
    written_at = time.perf_counter()
    print(f"records {len(records)}, errors {len(errors)}; {plan.summary()}")
    print(
        f"read and check {read_at - started:.2f} s, plan {planned_at - read_at:.2f} s, "
        f"write {written_at - planned_at:.2f} s, total {written_at - started:.2f} s (target ≤ 60 s)"
    )


if __name__ == "__main__":
    main()
