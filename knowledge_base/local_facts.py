"""A region's published facts laid over one of our generic guides.

A city's record of 普通护照签发 knows the real window, phone and promised time limit; our guide knows
the materials and how to prepare them. The answer keeps the guide's explanations and says the real
place and phone, naming where they come from, and that the local guide prevails.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import yaml

from knowledge_base.model import ServiceItem

logger = logging.getLogger(__name__)
NO_WINDOW = "无线下办理窗口"
FOLDER = "local_facts"  # local_facts/<entry id>.yml in an import folder
_DAYS = re.compile(r"^\s*(\d+)\s*[（(]\s*(工作日|自然日)\s*[)）]\s*$")


def days_text(limit: Optional[str]) -> Optional[str]:
    """'5(工作日)' → '5 个工作日' (the export's form, in words)."""
    if not limit:
        return None
    found = _DAYS.match(limit)
    return f"{found.group(1)} 个{found.group(2)}" if found else limit


def with_local_facts(item: ServiceItem, facts: Mapping[str, Any]) -> ServiceItem:
    """`item` with the record's place, phones, time limits and official link (what the record holds)."""
    department = facts.get("department") or item.department
    changes: Dict[str, Any] = {}
    if facts.get("place") and facts["place"] != NO_WINDOW:
        changes["place"] = f"{department}：{facts['place']}"
    if facts.get("consult_phone"):
        complaint = f"；投诉电话：{facts['complaint_phone']}" if facts.get("complaint_phone") else ""
        changes["contact"] = f"{facts['consult_phone']}（{department}）{complaint}"
    for field in ("promised_time_limit", "legal_time_limit"):
        if facts.get(field):
            changes[field] = days_text(facts[field])
    if facts.get("online_link"):
        changes["online_entry"] = facts["online_link"]
    area = facts.get("area") or ""
    where = (
        department if department[:2] in area else f"{area}{department}"
    )  # 广州市公安局, not 广东省广州市广州市公安局
    changes["local_source"] = (
        f"地点、电话和时限摘自{facts.get('source') or '当地政务服务网'}公布的办事指南（{where}，"
        f"事项编码 {facts.get('code')}），以当地政务服务中心公布为准"
    )
    changes["local_note"] = f"{changes['local_source']}。{item.local_note}"
    return dataclasses.replace(item, **changes)


def load_local_facts(folder: Optional[Path]) -> Dict[str, Dict[str, Any]]:
    """entry id → the first record imported as its local facts (`local_facts/<entry id>.yml`)."""
    out: Dict[str, Dict[str, Any]] = {}
    if folder is None:
        return out
    for path in sorted((Path(folder) / FOLDER).glob("*.yml")):
        try:
            records: List[Dict[str, Any]] = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        except (OSError, yaml.YAMLError) as e:
            logger.error("local facts %s cannot be read: %s", path, e)
            continue
        records = [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []
        if not records:
            logger.error("local facts %s hold no record; the generic guide stays", path)
            continue
        with_place = [r for r in records if r.get("place") not in (None, NO_WINDOW)]
        out[path.stem] = (with_place or records)[0]
    return out
