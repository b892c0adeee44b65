"""Importing a region's published 事项清单 (a catalogue export keyed by 实施编码).

`mapping` says which export field is which; `records` reads and validates an export (JSON Lines
or an Excel sheet) and imports nothing when a required field is broken; `plan` decides where
each record lands: as the local facts of one of our entries (the same matter), as an imported
item of its own, or, when the match is only a guess, on a list for staff to confirm.
"""

from knowledge_base.imports.mapping import ExportMapping, load_mapping
from knowledge_base.imports.plan import ImportPlan, plan_import
from knowledge_base.imports.records import CatalogueRecord, RecordError, read_export

__all__ = [
    "CatalogueRecord",
    "ExportMapping",
    "ImportPlan",
    "RecordError",
    "load_mapping",
    "plan_import",
    "read_export",
]
