"""The template a new service item starts from, for `kb new` and the console's 新建事项 alike.

It is a valid item only once every “（待填写）” is replaced by the guide's content: both ways
of publishing refuse it before (`unfilled_fields`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List

import yaml

TEMPLATE = Path(__file__).with_name("template.yml")
UNFILLED = "（待填写）"


def template_text(entry_id: str, name: str) -> str:
    """The template file for a new item, with its comments for those who edit it by hand."""
    return TEMPLATE.read_text(encoding="utf-8").replace("__ID__", entry_id).replace("__NAME__", name)


def template_entry(entry_id: str, name: str) -> Dict[str, Any]:
    """The same template as data, for a form."""
    return yaml.safe_load(template_text(entry_id, name))


def unfilled_fields(data: Any, prefix: str = "") -> List[str]:
    """The dotted paths (materials[0].source) still holding the template's “（待填写）”."""
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in unfilled_fields(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in unfilled_fields(v, f"{prefix}[{i}]")]
    return [prefix] if isinstance(data, str) and UNFILLED in data else []
