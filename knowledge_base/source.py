"""The knowledge-base files as staff edit them: read, check and write one entry's YAML.

The loader (`catalogue.py`) turns files into objects for the bot; this module is
for tools that change the files. It checks a new version exactly as the loader
would before anything is written, so a tool can never put a broken file in service.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from knowledge_base.catalogue import Catalogue, family_checks, load_catalogue, own_checks
from knowledge_base.model import ServiceItem
from knowledge_base.validation import FileError, schema_errors

KINDS = {"items": "item", "bundles": "bundle"}
# The order fields are written in: the national 办事指南 order, as in the schema.
FIELD_ORDER = [
    "id",
    "name",
    "kind",
    "aliases",
    "department",
    "department_id",
    "service_object",
    "category",
    "summary",
    "members",
    "implied_answers",
    "extra_steps",
    "conditions",
    "questions",
    "materials",
    "process",
    "time_limit",
    "fees",
    "location",
    "contact",
    "channels",
    "online",
    "trips",
    "delivery",
    "result",
    "faq",
    "legal_basis",
    "local_note",
    "reviewed",
]
HEADERS = {"item": "办事指南", "bundle": "联办指南"}


def entry_path(root: Path, entry_id: str) -> Optional[Path]:
    """The file of an item or bundle, or None when there is none."""
    for folder in KINDS:
        path = root / folder / f"{entry_id}.yml"
        if path.exists():
            return path
    return None


def kind_of(path: Path) -> str:
    return KINDS.get(path.parent.name, "item")


def read_entry(path: Path) -> Dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} 不是一个事项文件")
    return data


def check_entry(data: Dict[str, Any], kind: str, name: str, catalogue: Catalogue) -> List[FileError]:
    """Every problem the loader would find in this version of the file."""
    errors = schema_errors(name, data, None, kind)
    if errors:
        return errors
    if kind == "item":
        item = ServiceItem.from_dict(data, source_file=name)
        errors = own_checks(
            name, item, Path(name).stem, catalogue.shared_questions, catalogue.departments, catalogue.families
        )
        if errors or not item.family:
            return errors
        # The new version beside its siblings: its cues must still tell them apart.
        trial = dataclasses.replace(catalogue, items={**catalogue.items, item.id: item}, errors=[])
        return [
            e
            for e in family_checks(trial, Path(name).parent.parent / "families.yml")
            if e.file == name or item.id in e.message
        ]
    missing = [m for m in data["members"] if m not in catalogue.items]
    return [FileError(name, "members", f"找不到事项：{'、'.join(missing)}")] if missing else []


def dump_entry(data: Dict[str, Any], kind: str) -> str:
    """The canonical text of an entry: fields in 办事指南 order, a title comment on top."""
    ordered = {k: data[k] for k in FIELD_ORDER if k in data}
    ordered.update({k: v for k, v in data.items() if k not in ordered})
    body = yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False)
    return f"# {data.get('name', '')} —— {HEADERS[kind]}\n{body}"


def write_entry(path: Path, data: Dict[str, Any], kind: str) -> None:
    """Write atomically, so a running bot never reads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(dump_entry(data, kind))
    os.replace(tmp, path)


def all_errors(root: Path) -> List[FileError]:
    """Every error in every file, as the loader reports them."""
    return load_catalogue(root).errors


def save_entry(
    root: Path,
    entry_id: str,
    data: Dict[str, Any],
    operator: str,
    action: str,
    kind: Optional[str] = None,
    reviewer: Optional[str] = None,
) -> List[FileError]:
    """Check a new version of an entry, then write it and record the change (全程留痕).

    Nothing is written when the new version has errors; they are returned. `reviewer`: who
    approved the change, recorded beside its author (the console's four eyes).
    """
    from knowledge_base.audit import AuditLog, field_changes

    path = entry_path(root, entry_id)
    kind = kind or (kind_of(path) if path else "item")
    target = path or root / ("items" if kind == "item" else "bundles") / f"{entry_id}.yml"
    before = read_entry(path) if path else None
    errors = check_entry(data, kind, str(target), load_catalogue(root))
    if errors:
        return errors
    changes = field_changes(before, data)
    if changes:
        write_entry(target, data, kind)
        AuditLog(root).record(entry_id, operator, action, changes, reviewer=reviewer)
    return []
