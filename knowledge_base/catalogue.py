"""Loading the whole catalogue: every item and bundle, with per-file error reports.

A broken file never takes the service down: it is left out (or, on a reload,
its last good version stays in service) and its errors are reported.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple, Union

import yaml

from knowledge_base.model import Bundle, Question, ServiceItem
from knowledge_base.validation import FileError, parse_file, schema_errors

logger = logging.getLogger(__name__)

Entry = Union[ServiceItem, Bundle]


@dataclass
class Catalogue:
    """All loaded items and bundles, plus the errors met while loading them."""

    items: Dict[str, ServiceItem] = field(default_factory=dict)
    bundles: Dict[str, Bundle] = field(default_factory=dict)
    shared_questions: Dict[str, Question] = field(default_factory=dict)
    errors: List[FileError] = field(default_factory=list)

    def get(self, entry_id: str) -> Optional[Entry]:
        """An item or a bundle by id."""
        return self.items.get(entry_id) or self.bundles.get(entry_id)

    def entries(self) -> Iterator[Entry]:
        yield from self.items.values()
        yield from self.bundles.values()

    def questions_for(self, item: ServiceItem) -> Dict[str, Question]:
        """Shared questions overlaid with the item's own."""
        return {**self.shared_questions, **{q.id: q for q in item.questions}}


def own_checks(name: str, item: ServiceItem, expected_id: str,
                shared: Dict[str, Question]) -> List[FileError]:
    """Checks the schema cannot express: file name and questionnaire references."""
    errors = []
    if item.id != expected_id:
        errors.append(FileError(name, "id", f"编码 {item.id!r} 应与文件名 {expected_id!r} 一致"))
    questions = {**shared, **{q.id: q for q in item.questions}}
    for i, material in enumerate(item.materials):
        for qid, answer in material.when.items():
            where = f"materials[{i}].when.{qid}"
            if qid not in questions:
                errors.append(FileError(name, where, f"问卷中没有问题 {qid!r}"))
            elif answer not in questions[qid].options:
                options = "、".join(questions[qid].options)
                errors.append(FileError(name, where, f"{answer!r} 不是该问题的选项（{options}）"))
    return errors


def _load_shared_questions(root: Path, errors: List[FileError]) -> Dict[str, Question]:
    path = root / "questions.yml"
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        return {q["id"]: Question.from_dict(q) for q in data}
    except (yaml.YAMLError, KeyError, TypeError) as exc:
        errors.append(FileError(str(path), "", f"问卷文件无法读取：{exc}"))
        return {}


def load_catalogue(root: Path, previous: Optional[Catalogue] = None) -> Catalogue:
    """Load every item and bundle under `root`.

    `previous` is the catalogue in service: when a file that loaded before is
    now broken, its last good version is kept and the error is still reported.
    """
    cat = Catalogue()
    cat.shared_questions = _load_shared_questions(root, cat.errors)

    def keep_previous(path: Path, kind: str) -> None:
        if previous is None:
            return
        pool = previous.items if kind == "item" else previous.bundles
        for old in pool.values():
            if old.source_file == str(path):
                target = cat.items if kind == "item" else cat.bundles
                target[old.id] = old  # type: ignore[assignment]
                logger.warning("%s is broken; keeping the version in service", path)

    for path in sorted((root / "items").glob("*.yml")):
        data, node, errors = parse_file(path)
        errors = errors or schema_errors(str(path), data, node, "item")
        item = None
        if not errors:
            item = ServiceItem.from_dict(data, source_file=str(path))
            errors = own_checks(str(path), item, path.stem, cat.shared_questions)
            if not errors and item.id in cat.items:
                errors = [FileError(str(path), "id", f"编码 {item.id!r} 与其他文件重复")]
        if errors:
            cat.errors.extend(errors)
            keep_previous(path, "item")
        else:
            cat.items[item.id] = item

    for path in sorted((root / "bundles").glob("*.yml")):
        data, node, errors = parse_file(path)
        errors = errors or schema_errors(str(path), data, node, "bundle")
        if not errors:
            missing = [m for m in data["members"] if m not in cat.items]
            if missing:
                errors = [FileError(str(path), "members", f"找不到事项：{'、'.join(missing)}")]
            elif data["id"] != path.stem:
                errors = [FileError(str(path), "id", f"编码 {data['id']!r} 应与文件名一致")]
        if errors:
            cat.errors.extend(errors)
            keep_previous(path, "bundle")
        else:
            members = tuple(cat.items[m] for m in data["members"])
            cat.bundles[data["id"]] = Bundle.from_dict(data, members, source_file=str(path))

    for err in cat.errors:
        logger.error("knowledge base: %s", err)
    return cat


def _signature(root: Path) -> Tuple[Tuple[str, int, int], ...]:
    """What changes when a staff member edits, adds or removes a file."""
    files = [root / "questions.yml", *(root / "items").glob("*.yml"), *(root / "bundles").glob("*.yml")]
    sig = []
    for f in files:
        try:
            st = f.stat()
        except OSError:
            continue
        sig.append((str(f), st.st_mtime_ns, st.st_size))
    return tuple(sorted(sig))


class LiveCatalogue:
    """The catalogue as it is on disk now, re-read when a file changes.

    Checking costs one stat per file and happens at most every
    `check_interval` seconds, so it is cheap enough for every message.
    """

    def __init__(self, root: Path, check_interval: float = 2.0) -> None:
        self.root = Path(root)
        self.check_interval = check_interval
        self._lock = threading.Lock()
        self._signature = _signature(self.root)
        self._catalogue = load_catalogue(self.root)
        self._checked_at = time.monotonic()
        self.version = 1

    def reload(self) -> Catalogue:
        """Re-read now (`kb reload`), whatever the files' timestamps say."""
        with self._lock:
            self._checked_at = time.monotonic()
            self._signature = _signature(self.root)
            self._catalogue = load_catalogue(self.root, previous=self._catalogue)
            self.version += 1
            logger.info("knowledge base reloaded on request (version %d)", self.version)
        return self._catalogue

    def current(self) -> Catalogue:
        now = time.monotonic()
        if now - self._checked_at >= self.check_interval:
            with self._lock:
                self._checked_at = now
                sig = _signature(self.root)
                if sig != self._signature:
                    self._catalogue = load_catalogue(self.root, previous=self._catalogue)
                    self._signature = sig
                    self.version += 1
                    logger.info("knowledge base reloaded (version %d)", self.version)
        return self._catalogue
