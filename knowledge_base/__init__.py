"""The service catalogue: one YAML file per 办事事项, validated by a schema.

This package knows nothing about Rasa; the action server and the NLU
components both read it through `load_catalogue` or `LiveCatalogue`.
It imports only the base layer (`common`) of ours (tests/test_layers.py).
"""

from common.settings import KNOWLEDGE_BASE_DIR  # the folder of this package: its data sits beside the code
from knowledge_base.catalogue import Catalogue, LiveCatalogue, load_catalogue
from knowledge_base.model import (
    Bundle,
    BundleMaterial,
    Channel,
    Department,
    Family,
    Fee,
    Material,
    Question,
    ServiceItem,
    Sibling,
    merge_materials,
)
from knowledge_base.validation import FileError

__all__ = [
    "Bundle",
    "BundleMaterial",
    "Catalogue",
    "Channel",
    "Department",
    "Family",
    "Fee",
    "Sibling",
    "FileError",
    "KNOWLEDGE_BASE_DIR",
    "LiveCatalogue",
    "Material",
    "Question",
    "ServiceItem",
    "load_catalogue",
    "merge_materials",
]
