"""Where each record of an export lands: our entry's local facts, an imported item, or staff's list.

A record is the same matter as one of our entries when its own name is the entry's official name
and its department can be the entry's: then it gives that entry its real place, phones, time limits
and official link, and the guide keeps its explanations. A name that is only an alias or the 目录
name, a department that does not fit, or a name that only looks alike is never merged: the record
becomes an item of its own and the pair goes on the list for staff to confirm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Sequence, Tuple

from rapidfuzz import fuzz, process

from common.text import normalize_term as _key
from knowledge_base.imports.mapping import ExportMapping
from knowledge_base.imports.records import CatalogueRecord

if TYPE_CHECKING:  # the catalogue loads imported records, whose type is the import's
    from knowledge_base.catalogue import Catalogue

# A name this alike (rapidfuzz ratio, 0–100) may be the same matter: for staff to decide, never merged.
ALIKE = 85.0
SAME = "同一事项"  # the verdict that lands a record as an entry's local facts


@dataclass(frozen=True)
class UncertainPair:
    """A record whose name resembles an entry's: is it the same matter? Staff say."""

    record: CatalogueRecord
    entry_id: str
    score: float
    why: str  # 与别名相同 / 目录名称相同 / 名称相同，部门不符 / 名称相近


@dataclass
class ImportPlan:
    local_facts: Dict[str, List[CatalogueRecord]] = field(default_factory=dict)  # entry id → its records
    imported: List[CatalogueRecord] = field(default_factory=list)
    uncertain: List[UncertainPair] = field(default_factory=list)

    def summary(self) -> str:
        facts = sum(len(v) for v in self.local_facts.values())
        return (
            f"{facts} 条作为 {len(self.local_facts)} 个现有事项的本地信息，"
            f"{len(self.imported)} 条作为导入事项，{len(self.uncertain)} 对待工作人员确认"
        )


def _entry_names(catalogue: Catalogue) -> Dict[str, Tuple[str, bool]]:
    """Every name and alias of our items (not the life events), normalised → (item id, whether it is
    the official name: an alias such as 离婚登记预约 may be a neighbouring matter, for staff to say)."""
    names: Dict[str, Tuple[str, bool]] = {}
    for item in catalogue.items.values():
        names[_key(item.name)] = (item.id, True)
    for item in catalogue.items.values():
        for alias in item.aliases:
            names.setdefault(_key(alias), (item.id, False))
    return names


def plan_import(
    records: Sequence[CatalogueRecord],
    catalogue: Catalogue,
    mapping: ExportMapping,
    confirmed: Optional[Mapping[str, Optional[str]]] = None,
) -> ImportPlan:
    """`confirmed`: staff's answers for earlier uncertain pairs, 实施编码 → our entry id (the same matter)
    or None (a matter of its own)."""
    confirmed = confirmed or {}
    names = _entry_names(catalogue)
    choices = list(names)
    plan = ImportPlan()
    for record in records:
        if record.code in confirmed:
            entry_id = confirmed[record.code]
            if entry_id in catalogue.items:
                plan.local_facts.setdefault(entry_id, []).append(record)
            else:
                plan.imported.append(record)
            continue
        pair = _same_or_alike(record, names, choices, catalogue, mapping)
        if pair is not None and pair[2] == SAME:
            plan.local_facts.setdefault(pair[0], []).append(record)
            continue
        if pair is not None:
            plan.uncertain.append(UncertainPair(record, *pair))
        plan.imported.append(record)
    return plan


def _same_or_alike(
    record: CatalogueRecord,
    names: Dict[str, Tuple[str, bool]],
    choices: List[str],
    catalogue: Catalogue,
    mapping: ExportMapping,
) -> Optional[Tuple[str, float, str]]:
    """(entry id, score, why): the same matter (its own name is our entry's, and the department can be
    the entry's), or a pair for staff: the 目录 name is ours (对不予法律援助决定…的审查 is filed under
    法律援助, but is not the application), the department does not fit, or the name only looks alike."""
    departments = mapping.department_ids(record.department)
    own = names.get(_key(record.name))
    if own is not None:
        entry_id, official = own
        if catalogue.items[entry_id].department_id not in departments:
            return entry_id, 100.0, "名称相同，部门不符"
        return (entry_id, 100.0, SAME) if official else (entry_id, 100.0, "与别名相同")
    listed = names.get(_key(record.catalogue_name)) if record.catalogue_name else None
    if listed is not None:
        return listed[0], 100.0, "目录名称相同"
    if not choices:
        return None
    best = process.extractOne(_key(record.name), choices, scorer=fuzz.ratio)
    if best is not None and best[1] >= ALIKE:
        return names[best[0]][0], float(best[1]), "名称相近"
    return None
