"""The entry form, generated from the entry's JSON Schema (knowledge_base/schema), and read back.

`build(kind, data)` gives a tree of fields named by the same dotted paths the validator and the
audit trail use (fees.items[0].standard), so an error of knowledge_base.validation lands at its
field; `read(kind, form)` gives the data back. Reading an untouched form gives the entry back
unchanged (tests/console/test_console_kb.py checks every entry). Lists of objects (materials, fees,
channels, FAQ) are tables with rows added and removed by `edit_rows`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Dict, List, Mapping, Optional

import yaml

from knowledge_base.audit import value_at
from knowledge_base.validation import SCHEMA_DIR

LONG = {"summary", "local_note", "notes", "a", "how", "condition", "source", "handles", "where"}
READ_ONLY = {"id"}  # the file's name: not changed in a form
ROWS = "#rows"  # hidden field: how many rows a table has


@lru_cache(maxsize=None)
def schema(kind: str) -> Dict[str, Any]:
    return yaml.safe_load((SCHEMA_DIR / f"{kind}.schema.yml").read_text(encoding="utf-8"))


def _resolve(node: Mapping[str, Any], root: Mapping[str, Any]) -> Dict[str, Any]:
    """A node with its $ref followed (#/definitions/…), its own keys kept."""
    node = dict(node)
    ref = node.pop("$ref", None)
    if ref:
        target = root
        for part in ref.lstrip("#/").split("/"):
            target = target[part]
        node = {**_resolve(target, root), **node}
    return node


@dataclass
class Field:
    """One input (or group of inputs) of the form."""

    kind: str  # text | long | int | enum | bool | lines | multi | mapping | object | table | fixed
    path: str
    key: str
    label: str
    required: bool
    value: Any = None
    options: List[str] = field(default_factory=list)
    children: List["Field"] = field(default_factory=list)  # object: its fields; table: the columns
    rows: List[List["Field"]] = field(default_factory=list)  # table: one list of cells per row

    def text(self) -> str:
        """The value as it stands in an input."""
        if self.value is None:
            return ""
        if self.kind == "lines":
            return "\n".join(str(v) for v in self.value) if isinstance(self.value, list) else str(self.value)
        if self.kind == "mapping":
            return "\n".join(f"{k}={v}" for k, v in self.value.items()) if isinstance(self.value, dict) else ""
        if self.kind == "bool":
            return "true" if self.value is True else "false" if self.value is False else ""
        return str(self.value)


def _kind(node: Dict[str, Any], key: str, root: Mapping[str, Any]) -> str:
    if key in READ_ONLY:
        return "fixed"
    if "enum" in node:
        return "enum"
    t = node.get("type")
    if t == "boolean":
        return "bool"
    if t == "integer":
        return "int"
    if t == "object":
        return "object" if "properties" in node else "mapping"
    if t == "array":
        items = _resolve(node.get("items", {}), root)
        if items.get("type") == "object":
            return "table"
        return "multi" if "enum" in items else "lines"
    return "long" if key in LONG else "text"


def _field(key: str, node: Mapping[str, Any], path: str, required: bool, value: Any, root: Mapping[str, Any]) -> Field:
    node = _resolve(node, root)
    kind = _kind(node, key, root)
    label = str(node.get("title") or key).split("（")[0] if node.get("title") else key
    f = Field(kind, path, key, label, required, value)
    if kind == "enum":
        f.options = [str(o) for o in node["enum"]]
    elif kind == "multi":
        f.options = [str(o) for o in _resolve(node["items"], root)["enum"]]
    elif kind == "object":
        f.children = _fields(node, path, value if isinstance(value, dict) else {}, root)
    elif kind == "table":
        item = _resolve(node["items"], root)
        f.children = _fields(item, f"{path}[]", {}, root)
        f.rows = [
            _fields(item, f"{path}[{i}]", row if isinstance(row, dict) else {}, root)
            for i, row in enumerate(value if isinstance(value, list) else [])
        ]
    if kind == "long" and isinstance(value, str) and len(value) < 40 and "\n" not in value and key not in LONG:
        f.kind = "text"
    if kind == "text" and isinstance(value, str) and "\n" in value:
        f.kind = "long"  # an input would lose the line break
    return f


def _fields(node: Mapping[str, Any], prefix: str, data: Mapping[str, Any], root: Mapping[str, Any]) -> List[Field]:
    required = set(node.get("required", []))
    return [
        _field(key, sub, f"{prefix}.{key}" if prefix else key, key in required, data.get(key), root)
        for key, sub in node.get("properties", {}).items()
    ]


def build(kind: str, data: Mapping[str, Any]) -> List[Field]:
    """The form's fields for an entry of `kind` (item, bundle) holding `data`."""
    root = schema(kind)
    return _fields(root, "", data, root)


# ---- reading a submitted form back --------------------------------------------
_INT = re.compile(r"^-?[0-9]+$")


def _text(form: Any, path: str) -> str:
    value = form.get(path, "")
    return value.replace("\r\n", "\n") if isinstance(value, str) else ""


def _read(f: Field, form: Any, original: Mapping[str, Any]) -> Any:
    """The field's value from the form; `_ABSENT` when an optional field is left empty."""
    if f.kind == "fixed":
        return value_at(original, f.path)
    if f.kind == "object":
        out = _read_fields(f.children, form, original)
        if not f.required and all(v in ("", [], {}) for v in out.values()):
            return _ABSENT  # an optional group left empty (reviewed) is not written
        return out
    if f.kind == "table":
        try:
            count = int(form.get(f.path + ROWS, "0"))
        except ValueError:
            count = 0
        rows = []
        for i in range(count):
            cells = [_retarget(c, f"{f.path}[{i}]", f.path + "[]") for c in f.children]
            rows.append(_read_fields(cells, form, original))
        return rows if rows or f.required else _ABSENT
    if f.kind == "multi":
        chosen = [v for v in form.getall(f.path, []) if isinstance(v, str)]
        before = value_at(original, f.path)
        kept = [v for v in before if v in chosen] if isinstance(before, list) else []  # the order written before
        chosen = kept + [o for o in f.options if o in chosen and o not in kept]
        return chosen if chosen or f.required else _ABSENT
    raw = _text(form, f.path)
    if f.kind == "lines":
        lines = [line.strip() for line in raw.split("\n") if line.strip()]
        return lines if lines or f.required else _ABSENT
    if f.kind == "mapping":
        pairs = [line.split("=", 1) for line in raw.split("\n") if line.strip()]
        mapping = {k.strip(): (v[0].strip() if v else "") for k, *v in pairs}
        return mapping if mapping or f.required else _ABSENT
    if raw.strip() == "" and not f.required:
        return _ABSENT
    if f.kind == "bool":
        return {"true": True, "false": False}.get(raw, raw)
    if f.kind == "int":
        return int(raw.strip()) if _INT.match(raw.strip()) else raw  # '两份' stays, for the validator to name
    return raw


def _retarget(f: Field, prefix: str, template: str) -> Field:
    """A table's column template (materials[].name) as the cell of one row (materials[2].name)."""
    path = prefix + f.path[len(template) :]
    return Field(
        f.kind, path, f.key, f.label, f.required, None, f.options, [_retarget(c, prefix, template) for c in f.children]
    )


_ABSENT = object()


def _read_fields(fields: List[Field], form: Any, original: Mapping[str, Any]) -> Dict[str, Any]:
    out = {}
    for f in fields:
        value = _read(f, form, original)
        if value is not _ABSENT:
            out[f.key] = value
    return out


def read(kind: str, form: Any, original: Mapping[str, Any]) -> Dict[str, Any]:
    """The entry as the form says it (`original` gives what the form does not change: the id)."""
    return _read_fields(build(kind, {}), form, original)


def edit_rows(data: Dict[str, Any], op: str) -> Dict[str, Any]:
    """`add:materials` appends an empty row, `remove:materials[2]` deletes one (in place; returns data)."""
    action, _, path = op.partition(":")
    if action == "add":
        *parent, last = path.split(".")
        target: Any = value_at(data, ".".join(parent)) if parent else data
        if isinstance(target, dict):
            target.setdefault(last, []).append({})
    elif action == "remove":
        match = re.fullmatch(r"(.+)\[(\d+)\]", path)
        if match:
            rows = value_at(data, match.group(1))
            if isinstance(rows, list) and int(match.group(2)) < len(rows):
                del rows[int(match.group(2))]
    return data


def place_errors(fields: List[Field], errors: List[Any]) -> Dict[str, List[str]]:
    """Each error (knowledge_base.validation.FileError) at the deepest field its path starts with."""
    paths = set()

    def collect(fs: List[Field]) -> None:
        for f in fs:
            paths.add(f.path)
            collect(f.children if f.kind == "object" else [])
            for row in f.rows:
                collect(row)
            if f.kind == "table":
                paths.update(f"{f.path}[{i}]" for i in range(len(f.rows)))

    collect(fields)
    placed: Dict[str, List[str]] = {}
    for e in errors:
        target: Optional[str] = e.field
        while target and target not in paths:
            target = (
                re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", target) if re.search(r"(\.[^.\[\]]+|\[\d+\])$", target) else ""
            )
        placed.setdefault(target or "", []).append(str(e))
    return placed
