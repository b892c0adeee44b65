"""Writing an import plan as files: one per imported item, the local facts per entry, staff's list.

The knowledge base is data: an imported catalogue lands in a folder of its own (one YAML file per
item, keyed by 实施编码) beside the hand-written entries, never mixed into them, and every import
is a line of its own audit log, so that it can be told apart and undone by its id.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, Optional

import yaml

from knowledge_base.imported import AUDIT_FILE, FOLDER
from knowledge_base.imports.plan import ImportPlan
from knowledge_base.imports.records import CatalogueRecord


def _as_data(record: CatalogueRecord, source: str, audit_id: str) -> Dict[str, Any]:
    data = {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(record).items()}
    data.pop("record")
    return {**{k: v for k, v in data.items() if v not in (None, [])}, "source": source, "import": audit_id}


def _dump(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    tmp.replace(path)


def write_import(
    plan: ImportPlan,
    folder: Path,
    source: str,
    export_name: str,
    by: str,
    progress: Optional[Iterable[CatalogueRecord]] = None,
) -> str:
    """Write `plan` under `folder` and log it; returns the import's audit id. `progress` may wrap the
    imported records (a progress bar) as they are written."""
    audit_id = f"imp-{datetime.now(timezone.utc):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    for record in progress if progress is not None else plan.imported:
        _dump(folder / FOLDER / f"{record.code}.yml", _as_data(record, source, audit_id))
    for entry_id, records in plan.local_facts.items():
        _dump(folder / "local_facts" / f"{entry_id}.yml", [_as_data(r, source, audit_id) for r in records])
    _dump(
        folder / "uncertain.yml",
        [
            {
                "code": p.record.code,
                "name": p.record.name,
                "department": p.record.department,
                "entry": p.entry_id,
                "score": round(p.score, 1),
                "why": p.why,
            }
            for p in plan.uncertain
        ],
    )
    line = {
        "id": audit_id,
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "by": by,
        "export": export_name,
        "source": source,
        "imported": len(plan.imported),
        "local_facts": sum(len(v) for v in plan.local_facts.values()),
        "uncertain": len(plan.uncertain),
    }
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / AUDIT_FILE).open("a", encoding="utf-8") as f:
        f.write(json.dumps(line, ensure_ascii=False) + "\n")
    return audit_id
