"""全程留痕: who changed which entry, when, and each field before and after.

One JSON line per change in `history.jsonl` beside the entries, so the record
travels with the knowledge base (and with git, if it is kept there).
"""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Optional

HISTORY_FILE = "history.jsonl"


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any

    def describe(self) -> str:
        """One line for a person: what was added or removed from a list, else before → after."""
        if (
            isinstance(self.before, list)
            and isinstance(self.after, list)
            and not any(isinstance(x, (dict, list)) for x in self.before + self.after)
        ):
            added = [x for x in self.after if x not in self.before]
            removed = [x for x in self.before if x not in self.after]
            parts = [f"新增 {_show(x)}" for x in added] + [f"删除 {_show(x)}" for x in removed]
            return f"{self.field}: {'；'.join(parts) or '调整了顺序'}"
        return f"{self.field}: {_show(self.before)} → {_show(self.after)}"


def _show(value: Any) -> str:
    if value is None:
        return "（无）"
    text = repr(value) if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 120 else text[:117] + "…"


def field_changes(before: Optional[Dict[str, Any]], after: Dict[str, Any], prefix: str = "") -> List[Change]:
    """The fields that differ, as dotted paths (materials[2].source); lists compared item by item."""
    before = before or {}
    changes: List[Change] = []
    for key in list(before) + [k for k in after if k not in before]:
        path = f"{prefix}.{key}" if prefix else str(key)
        old, new = before.get(key), after.get(key)
        changes.extend(_value_changes(path, old, new))
    return changes


def _value_changes(path: str, old: Any, new: Any) -> List[Change]:
    if old == new:
        return []
    if isinstance(old, dict) and isinstance(new, dict):
        return field_changes(old, new, path)
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and len(old) == len(new)
        and all(isinstance(x, dict) for x in old + new)
    ):
        return [c for i, (o, n) in enumerate(zip(old, new)) for c in _value_changes(f"{path}[{i}]", o, n)]
    return [Change(path, old, new)]


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class Conflict(ValueError):
    """A field no longer holds what a change expects there (someone changed it since)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def _parts(path: str) -> List[Any]:
    return [int(index) if index else key for key, index in _PART.findall(path)]


def value_at(data: Any, path: str) -> Any:
    """The value at a dotted path of field_changes (fees.items[0].standard); None when absent."""
    for part in _parts(path):
        if isinstance(part, int):
            if not isinstance(data, list) or part >= len(data):
                return None
        elif not isinstance(data, dict) or part not in data:
            return None
        data = data[part]
    return data


def apply_changes(data: Dict[str, Any], changes: List[Change], reverse: bool = False) -> Dict[str, Any]:
    """`data` with each change made (`after` put where `before` is), or undone with reverse=True.

    The inverse of field_changes: apply_changes(before, field_changes(before, after)) == after.
    Raises Conflict when a field does not hold the value the change starts from, so a change
    is never laid over a newer one unseen. A value of None means the field is absent.
    """
    result = copy.deepcopy(data)
    for change in changes:
        start, end = (change.after, change.before) if reverse else (change.before, change.after)
        if value_at(result, change.field) != start:
            raise Conflict(change.field)
        *parents, last = _parts(change.field)
        target: Any = result
        for part in parents:
            target = target.setdefault(part, {}) if isinstance(part, str) else target[part]
        if end is None and isinstance(last, str):
            target.pop(last, None)
        else:
            target[last] = copy.deepcopy(end)
    return result


def changes_of(record: Dict[str, Any]) -> List[Change]:
    """The changes of one history record (a line of history.jsonl)."""
    return [Change(c["field"], c["before"], c["after"]) for c in record["changes"]]


class AuditLog:
    def __init__(self, root: Path) -> None:
        self.path = Path(root) / HISTORY_FILE

    def record(
        self,
        entry_id: str,
        operator: str,
        action: str,
        changes: List[Change],
        at: Optional[datetime] = None,
        reviewer: Optional[str] = None,
    ) -> None:
        """One change; `reviewer`: who approved it, when it was written with four eyes (the console)."""
        line = {
            "at": (at or datetime.now()).isoformat(timespec="seconds"),
            "operator": operator,
            "entry": entry_id,
            "action": action,
            "changes": [{"field": c.field, "before": c.before, "after": c.after} for c in changes],
        }
        if reviewer:
            line["reviewer"] = reviewer
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def history(self, entry_id: Optional[str] = None) -> List[Dict[str, Any]]:
        if not self.path.exists():
            return []
        records = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                if entry_id is None or record["entry"] == entry_id:
                    records.append(record)
        return records
