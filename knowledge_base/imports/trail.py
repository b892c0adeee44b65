"""The audit trail of a region's imports (`imports.jsonl`): one line per import, review decision and
erasure, saying who did what and when. Each step writes it through `log`."""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List

from knowledge_base.imported import AUDIT_FILE


def new_id(prefix: str) -> str:
    """imp-20261207120000-abc123: sortable by time, and unguessable enough to name one step."""
    return f"{prefix}-{datetime.now(timezone.utc):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


def log(folder: Path, line: Dict[str, Any]) -> None:
    """One more line of the audit trail: what was done, by whom, when."""
    line = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), **line}
    Path(folder).mkdir(parents=True, exist_ok=True)
    with (Path(folder) / AUDIT_FILE).open("a", encoding="utf-8") as f:
        f.write(json.dumps(line, ensure_ascii=False) + "\n")


def audit_lines(folder: Path) -> List[Dict[str, Any]]:
    path = Path(folder) / AUDIT_FILE
    if not path.exists():
        return []
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            continue
    return lines
