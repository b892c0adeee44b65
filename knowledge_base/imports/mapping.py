"""Which field of a catalogue export is which: declared in one YAML file per export format."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Tuple

import yaml

MAPPINGS_DIR = Path(__file__).with_name("mappings")
# Every field a record may have; `code`, `name` and `department` are what any mapping must give.
OUR_FIELDS = (
    "code",
    "name",
    "catalogue_name",
    "department",
    "area",
    "kind",
    "materials",
    "legal_time_limit",
    "promised_time_limit",
    "fees",
    "place",
    "conditions",
    "consult_phone",
    "complaint_phone",
    "audience",
    "online_link",
)
ALWAYS_REQUIRED = ("code", "name", "department")


@dataclass(frozen=True)
class ExportMapping:
    source: str  # whose export it is, named in every answer built from it
    fields: Dict[str, str]  # our field → the export's field
    required: Tuple[str, ...]
    lists: Tuple[str, ...]
    departments: Dict[str, Tuple[str, ...]]  # a word of the record's department → departments.yml ids

    def department_ids(self, department: str) -> Tuple[str, ...]:
        """The directory's departments a record's department may be (广州市公安局 → the police's)."""
        found = [ids for word, ids in self.departments.items() if word in department]
        return tuple(dict.fromkeys(i for ids in found for i in ids))


class MappingError(ValueError):
    """A mapping file that cannot be used, worded for the staff member who wrote it."""


def load_mapping(name_or_path: str) -> ExportMapping:
    """A mapping by name (`gdzwfw`, from mappings/) or by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = MAPPINGS_DIR / f"{name_or_path}.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise MappingError(f"映射文件 {path} 无法读取：{e}") from e
    fields = data.get("fields") or {}
    unknown = sorted(set(fields) - set(OUR_FIELDS))
    if unknown:
        raise MappingError(f"映射文件 {path}：不认识的字段 {'、'.join(unknown)}（可用：{'、'.join(OUR_FIELDS)}）")
    required = tuple(dict.fromkeys((*ALWAYS_REQUIRED, *(data.get("required") or ()))))
    missing = [f for f in required if f not in fields]
    if missing:
        raise MappingError(f"映射文件 {path}：必填字段 {'、'.join(missing)} 没有对应的导出字段")
    return ExportMapping(
        source=str(data.get("source") or path.stem),
        fields={str(k): str(v) for k, v in fields.items()},
        required=required,
        lists=tuple(data.get("lists") or ()),
        departments={str(k): tuple(v) for k, v in (data.get("departments") or {}).items()},
    )
