"""Staff's answers on an import's uncertain pairs: is this record the same matter as one of our entries?

实施编码 → our entry id (the record then gives that guide its local facts) or None (a matter of its own).
A deployment profile may ship answers (`knowledge_base/imports/confirmed/`); the answers given in the
console are kept in the import folder (`confirmed.yml`), override the shipped ones, and every later import
reads both. The pairs still open are the last import's `uncertain.yml`, minus those answered since.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import yaml

from knowledge_base.imports.trail import log, new_id

DECISIONS_FILE = "confirmed.yml"
PENDING_FILE = "uncertain.yml"  # written by each import: the pairs it could not decide
Decisions = Dict[str, Optional[str]]


def read_decisions(path: Optional[Path]) -> Decisions:
    """One file of answers; a missing file is no answers."""
    if path is None or not Path(path).exists():
        return {}
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return {str(code): (str(entry) if entry else None) for code, entry in data.items()}


def decisions_for(folder: Path, shipped: Optional[Path] = None) -> Decisions:
    """Every answer an import into `folder` goes by: the profile's, then the console's over them."""
    return {**read_decisions(shipped), **read_decisions(Path(folder) / DECISIONS_FILE)}


def record_decisions(folder: Path, answers: Mapping[str, Optional[str]], by: str) -> None:
    """Keep staff's answers for every later import, and say in the audit trail who gave them."""
    if not answers:
        return
    path = Path(folder) / DECISIONS_FILE
    kept = {**read_decisions(path), **answers}
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# 工作人员在控制台确认的对应关系：实施编码 → 同一事项的编码，或 null（单独导入）。\n"
    path.write_text(header + yaml.safe_dump(kept, allow_unicode=True, sort_keys=True), encoding="utf-8")
    merged = sum(1 for entry in answers.values() if entry)
    log(folder, {"id": new_id("dec"), "by": by, "decided": len(answers), "same_matter": merged})


def open_pairs(folder: Path) -> List[Dict[str, Any]]:
    """The last import's uncertain pairs that nobody has answered yet."""
    path = Path(folder) / PENDING_FILE
    if not path.exists():
        return []
    decided = read_decisions(path.parent / DECISIONS_FILE)
    pairs = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [p for p in pairs if isinstance(p, dict) and str(p.get("code")) not in decided]
