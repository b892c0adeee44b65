"""The knowledge base as a workbook for staff who live in Excel (xlsx, or one CSV per sheet).

Five sheets: 事项 (one row per item), 材料 (one row per material), 收费 (one row
per fee), 渠道 (one row per look-up or help channel) and 别名和常见问题. `to_tables` and
`from_tables` are exact inverses, so exporting and importing an untouched workbook changes
nothing. The
questionnaire (`questions`) stays in the YAML files: it is not for a spreadsheet.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from knowledge_base.validation import FileError

ITEMS, MATERIALS, FEES, CHANNELS, WORDS = "事项", "材料", "收费", "渠道", "别名和常见问题"
ALIAS, FAQ = "别名", "常见问题"
YES, NO = "是", "否"
LINES = "lines"  # a list written one element per line in a cell


@dataclass(frozen=True)
class Column:
    title: str
    path: Tuple[str, ...]  # where the value lives in the entry
    kind: str = "text"  # text | int | bool | lines | list
    optional: bool = False


ITEM_COLUMNS = [
    Column("事项编码", ("id",)),
    Column("事项名称", ("name",)),
    Column("事项类型", ("kind",)),
    Column("实施部门", ("department",)),
    Column("部门编码", ("department_id",)),
    Column("事项族", ("family",), optional=True),
    Column("区分词", ("cues",), "list", optional=True),
    Column("服务对象", ("service_object",)),
    Column("主题分类", ("category",), optional=True),
    Column("事项简介", ("summary",)),
    Column("受理条件", ("conditions",), LINES),
    Column("办理流程", ("process",), LINES),
    Column("法定办结时限", ("time_limit", "legal")),
    Column("承诺办结时限", ("time_limit", "promised")),
    Column("是否免费", ("fees", "free"), "bool"),
    Column("收费说明", ("fees", "notes"), optional=True),
    Column("办理地点", ("location", "place")),
    Column("办公时间", ("location", "hours")),
    Column("咨询电话", ("contact",)),
    Column("是否网办", ("online", "available"), "bool"),
    Column("网办入口", ("online", "entry"), optional=True),
    Column("网办说明", ("online", "notes"), optional=True),
    Column("到现场次数", ("trips",), "int"),
    Column("结果送达", ("delivery",), "list"),
    Column("审批结果", ("result",), optional=True),
    Column("设定依据", ("legal_basis",), LINES, optional=True),
    Column("以当地为准的提示", ("local_note",)),
]
MATERIAL_COLUMNS = [
    Column("材料名称", ("name",)),
    Column("材料类型", ("form",)),
    Column("份数", ("copies",), "int"),
    Column("材料形式", ("medium",)),
    Column("必要性", ("required",)),
    Column("何种情况下需要", ("condition",), optional=True),
    Column("适用条件", ("when",), "when", optional=True),
    Column("来源渠道", ("source",)),
    Column("填报须知", ("notes",), optional=True),
]
FEE_COLUMNS = [Column("收费项目", ("name",)), Column("收费标准", ("standard",)), Column("收费依据", ("basis",))]
CHANNEL_COLUMNS = [Column("渠道类型", ("type",)), Column("渠道名称", ("name",)), Column("怎么用", ("how",))]
REFERENCE = ["事项编码", "事项名称"]  # the first columns of every detail sheet; the name is for reading only
HEADERS = {
    ITEMS: [c.title for c in ITEM_COLUMNS],
    MATERIALS: REFERENCE + ["序号"] + [c.title for c in MATERIAL_COLUMNS],
    FEES: REFERENCE + [c.title for c in FEE_COLUMNS],
    CHANNELS: REFERENCE + [c.title for c in CHANNEL_COLUMNS],
    WORDS: REFERENCE + ["类型", "别名或问题", "回答"],
}

Row = Dict[str, Any]
Tables = Dict[str, List[Row]]  # sheet → rows (header title → cell value)


# ---- entries → tables --------------------------------------------------
def _get(data: Dict[str, Any], path: Sequence[str]) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if kind == "bool":
        return YES if value else NO
    if kind == LINES:
        return "\n".join(value)
    if kind == "list":
        return "、".join(value)
    if kind == "when":
        return "；".join(f"{k}={v}" for k, v in value.items())
    return value


def to_tables(items: Dict[str, Dict[str, Any]]) -> Tables:
    tables: Tables = {ITEMS: [], MATERIALS: [], FEES: [], CHANNELS: [], WORDS: []}
    for entry_id in sorted(items):
        item = items[entry_id]
        ref = {"事项编码": entry_id, "事项名称": item.get("name", "")}
        tables[ITEMS].append({c.title: _cell(_get(item, c.path), c.kind) for c in ITEM_COLUMNS})
        for n, m in enumerate(item.get("materials", []), start=1):
            tables[MATERIALS].append(
                {**ref, "序号": n, **{c.title: _cell(_get(m, c.path), c.kind) for c in MATERIAL_COLUMNS}}
            )
        for fee in item.get("fees", {}).get("items", []):
            tables[FEES].append({**ref, **{c.title: _cell(_get(fee, c.path), c.kind) for c in FEE_COLUMNS}})
        for channel in item.get("channels", []):
            tables[CHANNELS].append({**ref, **{c.title: _cell(_get(channel, c.path), c.kind) for c in CHANNEL_COLUMNS}})
        for alias in item.get("aliases", []):
            tables[WORDS].append({**ref, "类型": ALIAS, "别名或问题": alias, "回答": ""})
        for faq in item.get("faq", []):
            tables[WORDS].append({**ref, "类型": FAQ, "别名或问题": faq["q"], "回答": faq["a"]})
    return tables


# ---- tables → entries --------------------------------------------------
class _Reader:
    """Reads cells into entry values and collects the problems, each with sheet, row and column."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: List[FileError] = []

    def error(self, sheet: str, row: Row, column: str, message: str) -> None:
        self.errors.append(FileError(f"{self.source}[{sheet}]", column, message, row.get("_row")))

    def value(self, sheet: str, row: Row, column: Column) -> Any:
        raw = row.get(column.title)
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)
        text = "" if raw is None else str(raw).strip()
        if text == "":
            return None
        if column.kind == "int":
            try:
                return int(text)
            except ValueError:
                self.error(sheet, row, column.title, f"应为整数，实际是 {text!r}")
                return None
        if column.kind == "bool":
            if text not in (YES, NO):
                self.error(sheet, row, column.title, f"应填“是”或“否”，实际是 {text!r}")
                return None
            return text == YES
        if column.kind == LINES:
            return [line.strip() for line in text.splitlines() if line.strip()]
        if column.kind == "list":
            return [part.strip() for part in text.replace(",", "、").replace("，", "、").split("、") if part.strip()]
        if column.kind == "when":
            when = {}
            for part in text.replace(";", "；").split("；"):
                if "=" not in part:
                    if part.strip():
                        self.error(sheet, row, column.title, f"应写成 问题编码=答案（多个用；分隔），实际是 {part!r}")
                    continue
                key, _, answer = part.partition("=")
                when[key.strip()] = answer.strip()
            return when
        return text


def _put(data: Dict[str, Any], path: Sequence[str], value: Any, optional: bool) -> None:
    """Set a value; an empty optional cell removes the field (unless it was empty already)."""
    parent = data
    for key in path[:-1]:
        parent = parent.setdefault(key, {})
    key = path[-1]
    if value is None and optional:
        if parent.get(key):
            del parent[key]
    else:
        parent[key] = value


def _fill(target: Dict[str, Any], columns: Sequence[Column], reader: _Reader, sheet: str, row: Row) -> None:
    for column in columns:
        _put(target, column.path, reader.value(sheet, row, column), column.optional)


def from_tables(
    tables: Tables, current: Dict[str, Dict[str, Any]], source: str
) -> Tuple[Dict[str, Dict[str, Any]], Dict[str, Dict[str, int]], List[FileError]]:
    """The items as the workbook states them, on top of their current files.

    Returns (items by id, where each part of each item came from, problems).
    `where[id]` maps "item", "materials[i]", "fees.items[i]", "aliases[i]" and
    "faq[i]" to the row, so that validation errors can point at a row.
    """
    reader = _Reader(source)
    for sheet, headers in HEADERS.items():
        if sheet not in tables:
            reader.errors.append(FileError(source, sheet, "缺少这张工作表"))
            continue
        present = set().union(*(r.keys() for r in tables[sheet])) if tables[sheet] else set(headers)
        for title in headers:
            if title not in present:
                reader.errors.append(FileError(f"{source}[{sheet}]", title, "缺少这一列"))
    if reader.errors:
        return {}, {}, reader.errors

    items: Dict[str, Dict[str, Any]] = {}
    where: Dict[str, Dict[str, int]] = {}
    for row in tables[ITEMS]:
        entry_id = str(row.get("事项编码") or "").strip()
        if not entry_id:
            if any(str(v or "").strip() for k, v in row.items() if k != "_row"):
                reader.error(ITEMS, row, "事项编码", "不能为空")
            continue
        if entry_id in items:
            reader.error(ITEMS, row, "事项编码", f"{entry_id} 出现了两次")
            continue
        item = _copy(current.get(entry_id, {}))
        _fill(item, ITEM_COLUMNS, reader, ITEMS, row)
        had_channels = "channels" in item
        item["materials"], item["aliases"], item["faq"], item["channels"] = [], [], [], []
        if not had_channels:
            item["_no_channels"] = True
        if item.get("fees", {}).get("free") is False or "items" in item.get("fees", {}):
            item["fees"]["items"] = []
        items[entry_id] = item
        where[entry_id] = {"item": row.get("_row", 0)}

    def owner(sheet: str, row: Row) -> Optional[Dict[str, Any]]:
        entry_id = str(row.get("事项编码") or "").strip()
        if not entry_id:
            return None
        if entry_id not in items:
            reader.error(sheet, row, "事项编码", f"“事项”表里没有 {entry_id}")
            return None
        return items[entry_id]

    def numbered(row: Row) -> Tuple[int, int]:
        n = reader.value(MATERIALS, row, Column("序号", ("n",), "int"))
        return (n if n is not None else 10**6, row.get("_row", 0))

    for row in sorted(tables[MATERIALS], key=numbered):
        item = owner(MATERIALS, row)
        if item is not None:
            material: Dict[str, Any] = {}
            _fill(material, MATERIAL_COLUMNS, reader, MATERIALS, row)
            where[item["id"]][f"materials[{len(item['materials'])}]"] = row.get("_row", 0)
            item["materials"].append({k: v for k, v in material.items() if v is not None})
    for row in tables[FEES]:
        item = owner(FEES, row)
        if item is not None:
            fee: Dict[str, Any] = {}
            _fill(fee, FEE_COLUMNS, reader, FEES, row)
            fees = item.setdefault("fees", {}).setdefault("items", [])
            where[item["id"]][f"fees.items[{len(fees)}]"] = row.get("_row", 0)
            fees.append(fee)
    for row in tables[CHANNELS]:
        item = owner(CHANNELS, row)
        if item is not None:
            channel: Dict[str, Any] = {}
            _fill(channel, CHANNEL_COLUMNS, reader, CHANNELS, row)
            where[item["id"]][f"channels[{len(item['channels'])}]"] = row.get("_row", 0)
            item["channels"].append(channel)
    for row in tables[WORDS]:
        item = owner(WORDS, row)
        if item is None:
            continue
        kind, text = str(row.get("类型") or "").strip(), str(row.get("别名或问题") or "").strip()
        answer = str(row.get("回答") or "").strip()
        if kind == ALIAS:
            where[item["id"]][f"aliases[{len(item['aliases'])}]"] = row.get("_row", 0)
            item["aliases"].append(text)
        elif kind == FAQ:
            where[item["id"]][f"faq[{len(item['faq'])}]"] = row.get("_row", 0)
            item["faq"].append({"q": text, "a": answer})
        else:
            reader.error(WORDS, row, "类型", f"应填“{ALIAS}”或“{FAQ}”，实际是 {kind!r}")
    for item in items.values():  # no channel list where there was none and none was added
        if item.pop("_no_channels", False) and not item["channels"]:
            del item["channels"]
    for item in items.values():  # a free item carries no fee list unless it had one
        fees = item.get("fees", {})
        if fees.get("free") and not fees.get("items") and "items" not in current.get(item["id"], {}).get("fees", {}):
            fees.pop("items", None)
    return items, where, reader.errors


def _copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_copy(v) for v in data]
    return data


def row_of(where: Dict[str, int], field: str) -> Tuple[str, int]:
    """The sheet and row an error in `field` (materials[2].form…) points at."""
    for prefix, sheet in (
        ("materials[", MATERIALS),
        ("fees.items[", FEES),
        ("channels[", CHANNELS),
        ("aliases[", WORDS),
        ("faq[", WORDS),
    ):
        if field.startswith(prefix):
            key = field[: field.index("]") + 1]
            if key in where:
                return sheet, where[key]
    return ITEMS, where.get("item", 0)


# ---- files -------------------------------------------------------------
def write_xlsx(tables: Tables, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    book.remove(book.active)
    for sheet, headers in HEADERS.items():
        ws = book.create_sheet(sheet)
        ws.append(headers)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in tables[sheet]:
            ws.append([row.get(h, "") for h in headers])
        for i, h in enumerate(headers, start=1):
            width = 40 if h in ("事项简介", "受理条件", "办理流程", "来源渠道", "填报须知", "回答", "办理地点") else 16
            ws.column_dimensions[ws.cell(1, i).column_letter].width = width
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                cell.number_format = "@" if not isinstance(cell.value, int) else "0"
        ws.freeze_panes = "A2"
    book.save(path)


def read_xlsx(path: Path) -> Tables:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    tables: Tables = {}
    for ws in book.worksheets:
        rows = list(ws.iter_rows(values_only=True))
        if not rows:
            tables[ws.title] = []
            continue
        headers = [str(h).strip() if h is not None else "" for h in rows[0]]
        tables[ws.title] = [
            {**{h: v for h, v in zip(headers, values) if h}, "_row": n}
            for n, values in enumerate(rows[1:], start=2)
            if any(v not in (None, "") for v in values)
        ]
    book.close()
    return tables


def write_csv(tables: Tables, folder: Path) -> List[Path]:
    """One CSV per sheet, UTF-8 with BOM so Excel opens the Chinese correctly."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for sheet, headers in HEADERS.items():
        path = folder / f"{sheet}.csv"
        with open(path, "w", encoding="utf-8-sig", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=headers, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(tables[sheet])
        paths.append(path)
    return paths


def read_csv(folder: Path) -> Tables:
    tables: Tables = {}
    for sheet in HEADERS:
        path = folder / f"{sheet}.csv"
        if not path.exists():
            continue
        with open(path, encoding="utf-8-sig", newline="") as f:
            tables[sheet] = [
                {**row, "_row": n}
                for n, row in enumerate(csv.DictReader(f), start=2)
                if any((v or "").strip() for v in row.values())
            ]
    return tables


READERS: Dict[str, Callable[[Path], Tables]] = {"xlsx": read_xlsx, "csv": read_csv}
