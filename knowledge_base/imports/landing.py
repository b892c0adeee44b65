"""Writing an import plan as files: one per imported item, the local facts per entry, staff's list.

The knowledge base is data: an imported catalogue lands in a folder of its own (one YAML file per
item, keyed by 实施编码) beside the hand-written entries, never mixed into them, and every import
is a line of its own audit log, so that it can be told apart and undone by its id.

Importing a newer export again is safe. Each file remembers a fingerprint of what the import wrote
(`imported_hash`), so a later import tells three things apart: the export changed a record (the file
is updated, and the version it replaces is kept for undoing), staff edited the file by hand (it is
kept), or both (a conflict: staff's version stays in service and the export's waits in the review
queue, `conflicts/`, for a second person to decide; `knowledge_base.imports.review`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

import yaml

from knowledge_base.imported import FOLDER
from knowledge_base.imports.decisions import PENDING_FILE
from knowledge_base.imports.trail import log, new_id
from knowledge_base.local_facts import FOLDER as LOCAL_FACTS
from knowledge_base.imports.plan import ImportPlan
from knowledge_base.imports.records import CatalogueRecord

CONFLICTS = "conflicts"  # one file per record whose export and staff's edit both changed: for review
REPLACED = "replaced"  # replaced/<import id>/imported/<code>.yml: what an import overwrote, for its undoing
META = ("source", "import", "imported_hash")  # what the import adds to a record, not what the record says


def record_content(data: Dict[str, Any]) -> Dict[str, Any]:
    """What a file says of the record itself, without the import's own marks."""
    return {k: v for k, v in data.items() if k not in META}


def fingerprint(data: Dict[str, Any]) -> str:
    text = json.dumps(record_content(data), ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _as_data(record: CatalogueRecord, source: str, audit_id: str) -> Dict[str, Any]:
    data = {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(record).items()}
    data.pop("record")
    content = {k: v for k, v in data.items() if v not in (None, [])}
    return {**content, "source": source, "import": audit_id, "imported_hash": fingerprint(content)}


def _dump(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    tmp.replace(path)


def _load(path: Path) -> Optional[Dict[str, Any]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def _load_list(path: Path) -> List[Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return []
    return data if isinstance(data, list) else []


@dataclass
class Landed:
    """What one import did to the imported items, for its report and its audit line."""

    new: List[str] = field(default_factory=list)
    updated: List[str] = field(default_factory=list)
    unchanged: List[str] = field(default_factory=list)
    kept_staff_edit: List[str] = field(default_factory=list)  # staff edited it; the export did not change it
    conflicts: List[str] = field(default_factory=list)  # both changed it: in the review queue
    merged: List[str] = field(default_factory=list)  # an imported item staff have since said is one of ours

    def summary(self) -> str:
        text = (
            f"新增 {len(self.new)}，更新 {len(self.updated)}，未变 {len(self.unchanged)}，"
            f"保留工作人员修改 {len(self.kept_staff_edit)}，冲突待复核 {len(self.conflicts)}"
        )
        return text + (f"，并入现有事项 {len(self.merged)}" if self.merged else "")


def _land(record: CatalogueRecord, folder: Path, source: str, audit_id: str, landed: Landed) -> None:
    """Write one imported record, unless that would lose a change staff made by hand."""
    path = folder / FOLDER / f"{record.code}.yml"
    new = _as_data(record, source, audit_id)
    old = _load(path) if path.exists() else None
    if old is None:
        _dump(path, new)
        landed.new.append(record.code)
        return
    written = old.get("imported_hash") or fingerprint(old)  # a file from before fingerprints: as it is
    edited = fingerprint(old) != written
    if new["imported_hash"] == written and edited:
        landed.kept_staff_edit.append(record.code)
        return
    if edited:
        conflict = {
            "code": record.code,
            "import": audit_id,
            "source": source,
            "staff": record_content(old),
            "export": record_content(new),
        }
        _dump(folder / CONFLICTS / f"{record.code}.yml", conflict)
        landed.conflicts.append(record.code)
        return
    # Unchanged or updated, the record is now this import's; the version it replaces is kept, so that
    # erasing this import gives back the earlier one.
    _dump(folder / REPLACED / audit_id / FOLDER / f"{record.code}.yml", old)
    _dump(path, new)
    (landed.unchanged if new["imported_hash"] == written else landed.updated).append(record.code)


def write_import(
    plan: ImportPlan,
    folder: Path,
    source: str,
    export_name: str,
    by: str,
    progress: Optional[Iterable[CatalogueRecord]] = None,
    mapping: str = "",
) -> "tuple[str, Landed]":
    """Write `plan` under `folder` and log it; returns the import's audit id and what it did. `progress`
    may wrap the imported records (a progress bar) as they are written; `mapping` is logged, so that the
    same export can be imported again with staff's later answers."""
    audit_id = new_id("imp")
    landed = Landed()
    for record in progress if progress is not None else plan.imported:
        _land(record, folder, source, audit_id, landed)
    for entry_id, records in plan.local_facts.items():
        for record in records:  # confirmed since as the same matter as ours: no longer an item of its own
            item = folder / FOLDER / f"{record.code}.yml"
            if item.exists():  # kept for undoing, as every version an import replaces
                kept = folder / REPLACED / audit_id / FOLDER / item.name
                kept.parent.mkdir(parents=True, exist_ok=True)
                item.replace(kept)
                landed.merged.append(record.code)
        path = folder / LOCAL_FACTS / f"{entry_id}.yml"
        if path.exists():
            _dump(folder / REPLACED / audit_id / LOCAL_FACTS / f"{entry_id}.yml", _load_list(path))
        _dump(path, [_as_data(r, source, audit_id) for r in records])
    _dump(
        folder / PENDING_FILE,
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
    log(
        folder,
        {
            "id": audit_id,
            "by": by,
            "export": export_name,
            "mapping": mapping,
            "source": source,
            "imported": len(plan.imported),
            "local_facts": sum(len(v) for v in plan.local_facts.values()),
            "uncertain": len(plan.uncertain),
            **{name: len(codes) for name, codes in dataclasses.asdict(landed).items()},
        },
    )
    return audit_id, landed
