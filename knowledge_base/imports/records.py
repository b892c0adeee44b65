"""Reading a catalogue export and checking every record before anything is imported.

An export holds thousands of records; a staff member fixing one needs its place in the file and
the field, in words. A broken required field anywhere means nothing is imported: half a catalogue
is worse than yesterday's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from knowledge_base.imports.mapping import ExportMapping

CITIZEN = "自然人"
_LIST_SEPARATORS = re.compile(r"[、；;\n]+")
_CODE = re.compile(r"^[0-9A-Za-z\-]{4,64}$")
MAX_TEXT = 20_000


@dataclass(frozen=True)
class RecordError:
    """One problem of one record: where it is (the line of a JSON Lines file, the row of a sheet)."""

    record: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"第 {self.record} 条" if self.record else "文件"
        return f"{where}{'「' + self.field + '」' if self.field else ''}：{self.message}"


@dataclass(frozen=True)
class CatalogueRecord:
    """One 事项 of the export, in our field names. Absent facts stay None: nothing is filled in."""

    record: int  # its place in the export
    code: str  # 实施编码
    name: str
    department: str
    catalogue_name: Optional[str] = None
    area: Optional[str] = None
    kind: Optional[str] = None  # 行政许可 / 公共服务 / …
    materials: Tuple[str, ...] = ()
    legal_time_limit: Optional[str] = None
    promised_time_limit: Optional[str] = None
    fees: Optional[str] = None
    place: Optional[str] = None
    conditions: Optional[str] = None
    consult_phone: Optional[str] = None
    complaint_phone: Optional[str] = None
    audience: Tuple[str, ...] = ()
    online_link: Optional[str] = None

    @property
    def for_citizens(self) -> bool:
        """Enterprise-only records (no 自然人 among the service objects) are not offered to citizens; a
        record that names no service objects is taken to serve everyone."""
        return not self.audience or CITIZEN in self.audience


def _rows(path: Path) -> Iterator[Tuple[int, Any]]:
    """(record number, raw row) of a JSON Lines file or an Excel sheet (first row: the headings)."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        headings = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        for number, values in enumerate(rows, 1):
            if any(v not in (None, "") for v in values):
                yield number, dict(zip(headings, values))
        return
    with path.open(encoding="utf-8") as f:
        number = 0
        for line in f:
            if not line.strip():
                continue
            number += 1
            try:
                yield number, json.loads(line)
            except ValueError:
                yield number, None


def _text(value: Any) -> Optional[str]:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _list(value: Any) -> Tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(t for t in (_text(v) for v in value) if t)
    return tuple(t.strip() for t in _LIST_SEPARATORS.split(str(value)) if t.strip())


def record_from(number: int, raw: Any, mapping: ExportMapping) -> Tuple[Optional[CatalogueRecord], List[RecordError]]:
    """One raw row in our fields, or what is wrong with it."""
    if not isinstance(raw, dict):
        return None, [RecordError(number, "", "不是一条完整的记录（JSON 格式有误）")]
    errors: List[RecordError] = []
    values: Dict[str, Any] = {}
    for ours, theirs in mapping.fields.items():
        value = raw.get(theirs)
        if ours in mapping.lists:
            if value is not None and not isinstance(value, (list, tuple, str)):
                errors.append(RecordError(number, theirs, "应为列表"))
                continue
            values[ours] = _list(value)
        else:
            if isinstance(value, (list, dict)):
                errors.append(RecordError(number, theirs, "应为文字，不是列表"))
                continue
            text = _text(value)
            if text and len(text) > MAX_TEXT:
                errors.append(RecordError(number, theirs, f"超过 {MAX_TEXT} 字"))
                continue
            values[ours] = text
    for ours in mapping.required:
        if not values.get(ours) and not any(e.field == mapping.fields[ours] for e in errors):
            errors.append(RecordError(number, mapping.fields[ours], "必填，但为空"))
    code = values.get("code")
    if code and not _CODE.match(code):
        errors.append(RecordError(number, mapping.fields["code"], f"实施编码 {code!r} 只能含字母、数字和连字符"))
    link = values.get("online_link")
    if link and not link.startswith(("https://", "http://")):
        errors.append(RecordError(number, mapping.fields["online_link"], "网上办理链接应以 http:// 或 https:// 开头"))
    if errors:
        return None, errors
    return CatalogueRecord(record=number, **values), []


def read_export(path: Path, mapping: ExportMapping) -> Tuple[List[CatalogueRecord], List[RecordError]]:
    """Every record of the export, and every problem found. Import only when the second list is empty."""
    records: List[CatalogueRecord] = []
    errors: List[RecordError] = []
    seen: Dict[str, int] = {}
    try:
        rows: Sequence[Tuple[int, Any]] = list(_rows(path))
    except (OSError, UnicodeDecodeError, ValueError, KeyError) as e:
        return [], [RecordError(0, "", f"无法读取 {path.name}：{e}")]
    if not rows:
        return [], [RecordError(0, "", f"{path.name} 里没有记录")]
    for number, raw in rows:
        record, problems = record_from(number, raw, mapping)
        errors += problems
        if record is None:
            continue
        if record.code in seen:
            errors.append(RecordError(number, mapping.fields["code"], f"实施编码与第 {seen[record.code]} 条重复"))
            continue
        seen[record.code] = number
        records.append(record)
    return records, errors
