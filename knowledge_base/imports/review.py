"""The review queue of an import: records that both the new export and a staff member changed.

Neither version wins by itself. Staff's edit stays in service until a second person, not the one
who ran the import, keeps it or takes the export's version (four eyes); the decision is a line of
the import's audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from knowledge_base.imported import FOLDER
from knowledge_base.imports.landing import CONFLICTS, REPLACED, _dump, fingerprint
from knowledge_base.imports.trail import audit_lines, log, new_id

KEEP_STAFF, TAKE_EXPORT = "staff", "export"


class ReviewRefused(Exception):
    """Said to the staff member in one line; nothing was changed."""


@dataclass(frozen=True)
class Conflict:
    code: str
    import_id: str
    imported_by: str
    staff: Dict[str, Any]
    export: Dict[str, Any]
    source: str = ""

    def changed_fields(self) -> List[str]:
        """The fields where the two versions differ."""
        return sorted(k for k in {*self.staff, *self.export} if self.staff.get(k) != self.export.get(k))


def open_conflicts(folder: Path) -> List[Conflict]:
    importers = {line.get("id"): str(line.get("by") or "") for line in audit_lines(folder)}
    out = []
    for path in sorted((Path(folder) / CONFLICTS).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        out.append(
            Conflict(
                str(data.get("code") or path.stem),
                str(data.get("import") or ""),
                importers.get(data.get("import"), ""),
                dict(data.get("staff") or {}),
                dict(data.get("export") or {}),
                str(data.get("source") or ""),
            )
        )
    return out


def resolve(folder: Path, code: str, keep: str, by: str) -> str:
    """Keep staff's version or take the export's; the person deciding is not the one who imported."""
    folder = Path(folder)
    conflict: Optional[Conflict] = next((c for c in open_conflicts(folder) if c.code == code), None)
    if conflict is None:
        raise ReviewRefused(f"复核队列中没有实施编码为 {code} 的冲突。")
    if keep not in (KEEP_STAFF, TAKE_EXPORT):
        raise ReviewRefused("请选择保留工作人员的修改（staff）或采用新导出的版本（export）。")
    if by == conflict.imported_by:
        raise ReviewRefused("导入人不能复核自己导入产生的冲突：需要另一位工作人员决定（双人复核）。")
    path = folder / FOLDER / f"{code}.yml"
    marks = {"source": conflict.source, "import": conflict.import_id, "imported_hash": fingerprint(conflict.export)}
    if keep == TAKE_EXPORT:
        if path.exists():
            replaced = folder / REPLACED / conflict.import_id / FOLDER / f"{code}.yml"
            _dump(replaced, yaml.safe_load(path.read_text(encoding="utf-8")))
        _dump(path, {**conflict.export, **marks})
    else:
        # Staff's text stays; it now counts as an edit of this export's version, so the same export
        # imported again keeps it without asking.
        _dump(path, {**conflict.staff, **marks})
    (folder / CONFLICTS / f"{code}.yml").unlink()
    log(folder, {"id": new_id("rev"), "by": by, "resolved": code, "kept": keep, "import": conflict.import_id})
    return f"{code}：已{'保留工作人员的修改' if keep == KEEP_STAFF else '采用新导出的版本'}。"
