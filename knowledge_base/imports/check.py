"""One export, checked and planned before anything is written: the step `kb import-catalogue` and the
console's 导入 page share, so that both say the same errors and land records the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

from knowledge_base.imports.decisions import Decisions
from knowledge_base.imports.mapping import ExportMapping, MappingError, load_mapping
from knowledge_base.imports.plan import ImportPlan, plan_import
from knowledge_base.imports.records import CatalogueRecord, RecordError, read_export

if TYPE_CHECKING:
    from knowledge_base.catalogue import Catalogue


@dataclass
class CheckedExport:
    """An export read against its mapping: its records, every error by record and field, and, when there
    is none, where each record would land. `problem` is a mapping or a file that cannot be read at all."""

    export: Path
    mapping: Optional[ExportMapping] = None
    records: List[CatalogueRecord] = field(default_factory=list)
    errors: List[RecordError] = field(default_factory=list)
    plan: Optional[ImportPlan] = None
    problem: str = ""

    @property
    def importable(self) -> bool:
        return not self.problem and not self.errors and self.plan is not None


def check_export(export: Path, mapping_name: str, catalogue: "Catalogue", decisions: Decisions) -> CheckedExport:
    """Read and validate every record; plan the import only when every record passed (all or nothing)."""
    checked = CheckedExport(Path(export))
    try:
        checked.mapping = load_mapping(mapping_name)
    except MappingError as problem:
        checked.problem = str(problem)
        return checked
    if not checked.export.exists():
        checked.problem = f"找不到 {checked.export}"
        return checked
    checked.records, checked.errors = read_export(checked.export, checked.mapping)
    if not checked.errors:
        checked.plan = plan_import(checked.records, catalogue, checked.mapping, decisions)
    return checked
