"""Undoing one import by its audit id (`kb erase-import imp-…`).

What the import wrote goes: an item it added is removed, one it updated gets back the version it
replaced, and the same for the local facts. A file a staff member has since edited by hand is kept
and named, unless the person erasing says it goes too. The erasure is a line of the audit log.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import List

import yaml

from knowledge_base.imported import FOLDER
from knowledge_base.imports.landing import CONFLICTS, REPLACED, _load, _load_list, fingerprint
from knowledge_base.imports.review import ReviewRefused
from knowledge_base.imports.trail import audit_lines, log, new_id
from knowledge_base.local_facts import FOLDER as LOCAL_FACTS


@dataclass
class Erased:
    removed: List[str] = field(default_factory=list)
    restored: List[str] = field(default_factory=list)
    kept_edited: List[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"删除 {len(self.removed)} 个文件，恢复 {len(self.restored)} 个被该次导入覆盖的版本"
        if self.kept_edited:
            text += f"；{len(self.kept_edited)} 个文件有工作人员的手工修改，未删除（{'、'.join(self.kept_edited[:5])}）"
        return text


def _undo(path: Path, replaced: Path, erased: Erased) -> None:
    if replaced.exists():
        shutil.copyfile(replaced, path)
        erased.restored.append(path.stem)
    else:
        path.unlink()
        erased.removed.append(path.stem)


def erase_import(folder: Path, audit_id: str, by: str, include_edited: bool = False) -> Erased:
    """Undo the import `audit_id` in `folder`; refused when there is no such import, or it was erased."""
    folder = Path(folder)
    lines = audit_lines(folder)
    if not any(line.get("id") == audit_id and "erased" not in line for line in lines):
        raise ReviewRefused(f"{folder} 中没有导入编号为 {audit_id} 的导入。")
    if any(line.get("erased") == audit_id for line in lines):
        raise ReviewRefused(f"导入 {audit_id} 已经撤销过了。")
    erased = Erased()
    backups = folder / REPLACED / audit_id
    for path in sorted((folder / FOLDER).glob("*.yml")):
        data = _load(path) or {}
        if data.get("import") != audit_id:
            continue
        if fingerprint(data) != data.get("imported_hash") and not include_edited:
            erased.kept_edited.append(path.stem)
            continue
        _undo(path, backups / FOLDER / path.name, erased)
    for backup in sorted((backups / FOLDER).glob("*.yml")):  # items the import merged into ours come back
        if not (folder / FOLDER / backup.name).exists():
            shutil.copyfile(backup, folder / FOLDER / backup.name)
            erased.restored.append(backup.stem)
    for path in sorted((folder / LOCAL_FACTS).glob("*.yml")):
        records = _load_list(path)
        if records and isinstance(records[0], dict) and records[0].get("import") == audit_id:
            _undo(path, backups / LOCAL_FACTS / path.name, erased)
    for path in sorted((folder / CONFLICTS).glob("*.yml")):
        if (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("import") == audit_id:
            path.unlink()
    shutil.rmtree(backups, ignore_errors=True)
    log(
        folder,
        {
            "id": new_id("del"),
            "by": by,
            "erased": audit_id,
            "removed": len(erased.removed),
            "restored": len(erased.restored),
            "kept_edited": len(erased.kept_edited),
        },
    )
    return erased
