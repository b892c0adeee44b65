"""A region's imported items: records of its 事项清单 that are none of our guides.

An imported item is what the published record holds and nothing more: its materials by name, its
time limits, fee, place and phones, and the link to the official guide. It has no questionnaire, no
steps and no checklist, because the record gives none; the answer says so and where the full guide is.
Loaded from `imported/<实施编码>.yml` (`kb import-catalogue`), one file per record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

import yaml

from knowledge_base.local_facts import days_text

logger = logging.getLogger(__name__)
CITIZEN = "自然人"
FOLDER = "imported"
AUDIT_FILE = "imports.jsonl"  # one line per import: who, when, what (its id erases it)
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 2,262 files in a second or two


@dataclass(frozen=True)
class ImportedItem:
    """One imported record, keyed by its 实施编码."""

    id: str  # the 实施编码
    name: str
    department: str
    source: str  # whose catalogue it is (广东政务服务网)
    import_id: str  # the import that wrote it (imports.jsonl), for erasing that import
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
        """An enterprise-only record is answered only when asked for by its name."""
        return not self.audience or CITIZEN in self.audience

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ImportedItem":
        def text(key: str) -> Optional[str]:
            value = d.get(key)
            return str(value).strip() or None if value is not None else None

        return cls(
            id=str(d["code"]),
            name=str(d["name"]),
            department=str(d["department"]),
            source=text("source") or "当地政务服务网",
            import_id=text("import") or "",
            catalogue_name=text("catalogue_name"),
            area=text("area"),
            kind=text("kind"),
            materials=tuple(str(m) for m in d.get("materials") or ()),
            legal_time_limit=days_text(text("legal_time_limit")),
            promised_time_limit=days_text(text("promised_time_limit")),
            fees=text("fees"),
            place=text("place"),
            conditions=text("conditions"),
            consult_phone=text("consult_phone"),
            complaint_phone=text("complaint_phone"),
            audience=tuple(str(a) for a in d.get("audience") or ()),
            online_link=text("online_link"),
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
