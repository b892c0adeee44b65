"""A region's imported items: records of its 事项清单 that are none of our guides.

An imported item is what the published record holds and nothing more: its materials by name, its
time limits, fee, place and phones, and the link to the official guide. It has no questionnaire, no
steps and no checklist, because the record gives none; the answer says so and where the full guide is.
Loaded from `imported/<实施编码>.yml` (`kb import-catalogue`), one file per record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

import yaml

from knowledge_base.imports.records import CatalogueRecord
from knowledge_base.local_facts import days_text

logger = logging.getLogger(__name__)
FOLDER = "imported"
AUDIT_FILE = "imports.jsonl"  # one line per import: who, when, what (its id erases it)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 2,262 files in a second or two


@dataclass(frozen=True)
class ImportedItem(CatalogueRecord):
    """One imported record (a `CatalogueRecord` as the import wrote it), keyed by its 实施编码."""

    source: str = "当地政务服务网"  # whose catalogue it is (广东政务服务网)
    import_id: str = ""  # the import that wrote it (imports.jsonl), for erasing that import

    @property
    def id(self) -> str:
        return self.code

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ImportedItem":
        """A file of `imported/`: the record's fields, the time limits in words."""
        known = {f.name for f in fields(CatalogueRecord)} - {"record"}
        values = {k: v for k, v in d.items() if k in known}
        for key in ("materials", "audience"):
            values[key] = tuple(str(v) for v in values.get(key) or ())
        for key in ("legal_time_limit", "promised_time_limit"):
            values[key] = days_text(values.get(key))
        return cls(
            record=0,
            **{**values, "code": str(d["code"]), "name": str(d["name"]), "department": str(d["department"])},
            source=str(d.get("source") or "当地政务服务网"),
            import_id=str(d.get("import") or ""),
        )


def load_imported(folder: Optional[Path]) -> Dict[str, ImportedItem]:
    """实施编码 → imported item, for every readable file under `folder/imported`; a broken file is
    logged and left out (the rest of the catalogue stays in service)."""
    out: Dict[str, ImportedItem] = {}
    if folder is None:
        return out
    for path in sorted((Path(folder) / FOLDER).glob("*.yml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
            item = ImportedItem.from_dict(data)
        except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as e:
            logger.error("imported item %s cannot be read: %s", path, e)
            continue
        out[item.id] = item
    return out
