"""What `make train` learns from the knowledge base, written as Rasa NLU data.

Every entry's name becomes an `inquire_service` example (a citizen often just
names the thing), and every name and alias goes into a `service` lookup table.
The jieba dictionary is built from the same names by the tokenizer itself.
Examples already present in the hand-written data are left out.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Set

import yaml

from common.settings import ROOT
from knowledge_base import Catalogue


def written_examples(nlu_dir: Path) -> Set[str]:
    """Every example in the hand-written NLU files, whatever its intent."""
    seen: Set[str] = set()
    for path in nlu_dir.glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in data.get("nlu", []):
            for line in str(block.get("examples", "")).splitlines():
                if line.strip().startswith("- "):
                    seen.add(line.strip()[2:].strip())
    return seen


def nlu_data_from(catalogue: Catalogue, already: Set[str]) -> Dict:
    names = sorted({e.name for e in catalogue.entries()} - already)
    terms: List[str] = sorted({t for e in catalogue.entries() for t in (e.name, *e.aliases)})
    return {"version": "3.1", "nlu": [
        {"intent": "inquire_service", "examples": "".join(f"- {n}\n" for n in names)},
        {"lookup": "service", "examples": "".join(f"- {t}\n" for t in terms)},
    ]}


class _LiteralDumper(yaml.SafeDumper):
    """Example lists as `examples: |` blocks, the way Rasa's own files look."""


_LiteralDumper.add_representer(
    str, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style="|" if "\n" in v else None))


def write_generated(catalogue: Catalogue, out: Path, nlu_dir: Path = ROOT / "nlu_data" / "nlu") -> None:
    data = nlu_data_from(catalogue, written_examples(nlu_dir))
    out.parent.mkdir(parents=True, exist_ok=True)
    text = ("# Generated from the knowledge base by `make train` (python -m bot.kb nlu-data). Do not edit.\n"
            + yaml.dump(data, Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False, width=1000))
    if not out.exists() or out.read_text(encoding="utf-8") != text:
        out.write_text(text, encoding="utf-8")  # unchanged content keeps the training hash


