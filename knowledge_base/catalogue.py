"""Loading the whole catalogue: every item and bundle, with per-file error reports.

A broken file never takes the service down: it is left out (or, on a reload,
its last good version stays in service) and its errors are reported.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple, TypeVar, Union

import yaml

from common.text import longest_common_run
from knowledge_base.citizen_words import FILE as CITIZEN_WORDS, CitizenWords, load_citizen_words, not_ours
from knowledge_base.imported import AUDIT_FILE, FOLDER as IMPORTED_FOLDER, ImportedItem, load_imported
from knowledge_base.local_facts import FOLDER as LOCAL_FACTS, load_local_facts, with_local_facts
from knowledge_base.model import Bundle, Department, Family, Question, ServiceItem, Sibling
from knowledge_base.validation import FileError, parse_file, schema_errors

logger = logging.getLogger(__name__)

Entry = Union[ServiceItem, Bundle]


@dataclass
class Catalogue:
    """All loaded items and bundles, plus the errors met while loading them."""

    items: Dict[str, ServiceItem] = field(default_factory=dict)
    bundles: Dict[str, Bundle] = field(default_factory=dict)
    shared_questions: Dict[str, Question] = field(default_factory=dict)
    departments: Dict[str, Department] = field(default_factory=dict)
    families: Dict[str, Family] = field(default_factory=dict)
    errors: List[FileError] = field(default_factory=list)
    # A region's records that are none of our guides, by 实施编码: answered from the record alone.
    imported: Dict[str, ImportedItem] = field(default_factory=dict)
    # What citizens say for the official terms of imported names (鱼苗 → 水产苗种); loaded with the records.
    citizen_words: CitizenWords = field(default_factory=dict)

    def get(self, entry_id: str) -> Optional[Entry]:
        """An item or a bundle by id."""
        return self.items.get(entry_id) or self.bundles.get(entry_id)

    def title_of(self, entry_id: str) -> Optional[str]:
        """What a button says for an entry or an imported item; an imported name that two departments
        share (兼职律师执业许可 of the province and of the city) carries its department."""
        entry = self.get(entry_id)
        if entry is not None:
            return entry.name
        record = self.imported.get(entry_id)
        if record is None:
            return None
        return f"{record.name}（{record.department}）" if self._shared_names.get(record.name, 0) > 1 else record.name

    @cached_property
    def _shared_names(self) -> Dict[str, int]:
        counts: Dict[str, int] = {}
        for record in self.imported.values():
            counts[record.name] = counts.get(record.name, 0) + 1
        return counts

    def entries(self) -> Iterator[Entry]:
        yield from self.items.values()
        yield from self.bundles.values()

    def questions_for(self, item: ServiceItem) -> Dict[str, Question]:
        """Shared questions overlaid with the item's own."""
        return {**self.shared_questions, **{q.id: q for q in item.questions}}

    @cached_property
    def _members_by_family(self) -> Dict[str, List[ServiceItem]]:
        """Built once, on first use after loading (the matcher asks on every message)."""
        index: Dict[str, List[ServiceItem]] = {}
        for item in self.items.values():
            if item.family:
                index.setdefault(item.family, []).append(item)
        return index

    def members_of(self, family_id: str) -> List[ServiceItem]:
        """The items of one family, in catalogue order."""
        return self._members_by_family.get(family_id, [])

    def settle_by_cues(self, family_id: str, text: str) -> Tuple[Tuple[str, ...], Optional[Sibling]]:
        """The members of a family whose cues occur in `text` (lower-case, simplified), or else the
        办理项 without a guide whose cue occurs. The one place cues are matched.

        A member's cue wins, unless the gap's cue found is longer, so more specific
        (机动车登记证书丢了: 登记证书 beats 丢 of 行驶证补领)."""
        text = text.lower()
        members = [(item.id, _longest_cue(item.cues, text)) for item in self.members_of(family_id)]
        members = [(i, n) for i, n in members if n]
        longest = max((n for _, n in members), default=0)
        family = self.families.get(family_id)
        gaps = [(_longest_cue(u.cues, text), u) for u in (family.uncovered if family else ())]
        length, gap = max(gaps, key=lambda pair: pair[0], default=(0, None))
        if gap is not None and length > longest:
            return (), gap
        return tuple(i for i, _ in members), None

    def variant_like(self, word: str, like: str) -> Optional[str]:
        """那养老的呢 after 城乡居民医保 → 城乡居民养老保险: an elliptical switch changes one word and keeps
        the rest. Of the entries with `word` in a name or alias, the one whose words beside it the entry
        `like` shares most (the longest common run of characters); None when no single one leads."""
        base = self.get(like)
        word = word.lower()
        if base is None or len(word) < 2:
            return None
        own = [t.lower() for t in (base.name, *base.aliases)]
        scores: Dict[str, int] = {}
        for entry in self.entries():
            for term in (t.lower() for t in (entry.name, *entry.aliases)):
                if word in term:
                    rest = term.replace(word, "|")
                    scores[entry.id] = max(scores.get(entry.id, 0), max(longest_common_run(rest, o) for o in own))
        ranked = sorted(scores.items(), key=lambda kv: -kv[1])
        if not ranked or ranked[0][1] < 2 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
            return None
        return ranked[0][0]

    def department_of(self, entry: Entry) -> Optional[Department]:
        """The directory entry of the department that handles an item (a bundle's first member's)."""
        item = entry.members[0] if isinstance(entry, Bundle) else entry
        return self.departments.get(item.department_id)


# 挂失完补一张新的: what is already done (挂失完, 报完之后) is not what the citizen asks for now.
_DONE = re.compile("^(完|好了|了以后|了之后|之后|以后)")


def _longest_cue(cues: Iterable[str], text: str) -> int:
    """The length of the longest cue found in `text` and not said to be done already, 0 when none is."""
    return max((len(c) for c in cues if _cue_asked(c.lower(), text)), default=0)


def _cue_asked(cue: str, text: str) -> bool:
    return any(not _DONE.match(text[m.end() :]) for m in re.finditer(re.escape(cue), text))


def own_checks(
    name: str,
    item: ServiceItem,
    expected_id: str,
    shared: Dict[str, Question],
    departments: Optional[Dict[str, Department]] = None,
    families: Optional[Dict[str, Family]] = None,
) -> List[FileError]:
    """Checks the schema cannot express: file name, references to the questionnaire,
    the department directory and the families, and a look-up's materials.

    `departments` or `families` is None when its file could not be read: then
    references to it are not checked, rather than failing every item.
    """
    errors = []
    if item.id != expected_id:
        errors.append(FileError(name, "id", f"编码 {item.id!r} 应与文件名 {expected_id!r} 一致"))
    if departments is not None and item.department_id not in departments:
        errors.append(FileError(name, "department_id", f"部门目录（departments.yml）中没有部门 {item.department_id!r}"))
    if families is not None and item.family and item.family not in families:
        errors.append(FileError(name, "family", f"事项族目录（families.yml）中没有 {item.family!r}"))
    if item.is_lookup:
        if item.questions:
            errors.append(FileError(name, "questions", "查询类事项不需要问卷：群众只需出示证件查询"))
        for i, material in enumerate(item.materials):
            if material.copies or material.when or material.required != "必要":
                errors.append(
                    FileError(
                        name,
                        f"materials[{i}]",
                        "查询类事项的材料只应是查询时出示的证件（必要、0份、不设适用条件）；"
                        "要提交材料的请把事项类型改为“办理”",
                    )
                )
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


T = TypeVar("T", Department, Family)


def _load_directory(
    path: Path, kind: str, build: Callable[[Any], T], errors: List[FileError], previous: Optional[Dict[str, T]]
) -> Optional[Dict[str, T]]:
    """departments.yml or families.yml by id; on an error the version in service, else None."""
    if not path.exists():
        return {}
    data, node, problems = parse_file(path)
    problems = problems or schema_errors(str(path), data, node, kind)
    if not problems:
        seen: Dict[str, T] = {}
        for i, d in enumerate(data):
            if d["id"] in seen:
                problems.append(FileError(str(path), f"[{i}].id", f"编码 {d['id']!r} 重复"))
            seen[d["id"]] = build(d)
        if not problems:
            return seen
    errors.extend(problems)
    if previous:
        logger.warning("%s is broken; keeping the version in service", path)
    return previous or None


def family_checks(cat: Catalogue, path: Path) -> List[FileError]:
    """Each family has members, a known department, and cues that tell its members apart.

    Two cues overlap when one contains the other (换 and 换证): a sentence with
    换证 would then point to two siblings, so the pair is reported.
    """
    errors = []
    refused = {Path(e.file).stem for e in cat.errors}  # an item that did not load is reported already
    for family in cat.families.values():
        members = cat.members_of(family.id)
        if cat.departments and family.department_id not in cat.departments:
            errors.append(
                FileError(str(path), f"{family.id}.department_id", f"部门目录中没有部门 {family.department_id!r}")
            )
        if not members:
            errors.append(FileError(str(path), family.id, "这个事项族还没有成员事项（在事项文件里写 family）"))
        member_ids = {item.id for item in members}
        for common in family.common:
            if common not in member_ids and common not in refused:
                errors.append(
                    FileError(
                        str(path),
                        f"{family.id}.common",
                        f"{common!r} 不是“{family.name}”族的成员事项（common 只列本族最常办的成员）",
                    )
                )
        for item in members:
            for alias in set(item.aliases) & set(family.terms):
                errors.append(
                    FileError(
                        item.source_file,
                        "aliases",
                        f"别名 {alias!r} 指整个“{family.name}”族，已写在 families.yml 的 terms 里；"
                        f"请改成带区分词的说法（如“{alias}丢了”）",
                    )
                )
        owners: List[Tuple[str, str, str]] = [(item.id, item.source_file, cue) for item in members for cue in item.cues]
        owners += [(f"{family.id}.uncovered「{u.name}」", str(path), cue) for u in family.uncovered for cue in u.cues]
        for i, (owner_a, _, cue_a) in enumerate(owners):
            for owner_b, file_b, cue_b in owners[i + 1 :]:
                if owner_a != owner_b and (cue_a in cue_b or cue_b in cue_a):
                    errors.append(
                        FileError(file_b, "cues", f"区分词 {cue_b!r} 与同族的 {owner_a} 的 {cue_a!r} 重叠，无法区分")
                    )
    return errors


def load_catalogue(root: Path, previous: Optional[Catalogue] = None, imports: Optional[Path] = None) -> Catalogue:
    """Load every item and bundle under `root`, with the department directory and the families, and
    a region's local facts imported into `imports` (`kb import-catalogue`) over our guides.

    `previous` is the catalogue in service: when a file that loaded before is
    now broken, its last good version is kept and the error is still reported.
    """
    cat = Catalogue()
    cat.shared_questions = _load_shared_questions(root, cat.errors)
    departments = _load_directory(
        root / "departments.yml",
        "departments",
        Department.from_dict,
        cat.errors,
        previous.departments if previous else None,
    )
    families = _load_directory(
        root / "families.yml", "families", Family.from_dict, cat.errors, previous.families if previous else None
    )
    cat.departments, cat.families = departments or {}, families or {}

    def keep_previous(path: Path, kind: str) -> None:
        if previous is None:
            return
        pool: Union[Dict[str, ServiceItem], Dict[str, Bundle]] = previous.items if kind == "item" else previous.bundles
        for old in pool.values():
            if old.source_file == str(path):
                target: Union[Dict[str, ServiceItem], Dict[str, Bundle]] = cat.items if kind == "item" else cat.bundles
                target[old.id] = old  # type: ignore[assignment]
                logger.warning("%s is broken; keeping the version in service", path)

    for path in sorted((root / "items").glob("*.yml")):
        data, node, errors = parse_file(path)
        errors = errors or schema_errors(str(path), data, node, "item")
        item: Optional[ServiceItem] = None
        if not errors:
            item = ServiceItem.from_dict(data, source_file=str(path))
            errors = own_checks(str(path), item, path.stem, cat.shared_questions, departments, families)
            if not errors and item.id in cat.items:
                errors = [FileError(str(path), "id", f"编码 {item.id!r} 与其他文件重复")]
        if errors:
            cat.errors.extend(errors)
            keep_previous(path, "item")
        else:
            assert item is not None  # no errors means it was parsed
            cat.items[item.id] = item

    for entry_id, facts in load_local_facts(imports).items():
        if entry_id in cat.items:
            cat.items[entry_id] = with_local_facts(cat.items[entry_id], facts)
    cat.imported = load_imported(imports)
    words, word_errors = load_citizen_words(root)  # checked always (kb validate), used with an import
    cat.errors.extend(word_errors)
    if cat.imported:
        cat.citizen_words = not_ours(words, (t for item in cat.items.values() for t in (item.name, *item.aliases)))

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

    cat.errors.extend(family_checks(cat, root / "families.yml"))
    for err in cat.errors:
        logger.error("knowledge base: %s", err)
    return cat


def _signature(root: Path, imports: Optional[Path] = None) -> Tuple[Tuple[str, int, int], ...]:
    """What changes when a staff member edits, adds or removes a file, or a new import lands (an import
    rewrites its folder of imported items, whose own time then changes: one stat, not 2,000)."""
    files = [
        *((Path(imports) / LOCAL_FACTS).glob("*.yml") if imports else ()),
        *((Path(imports) / IMPORTED_FOLDER, Path(imports) / AUDIT_FILE) if imports else ()),
        root / "questions.yml",
        root / "departments.yml",
        root / "families.yml",
        root / CITIZEN_WORDS,
        *(root / "items").glob("*.yml"),
        *(root / "bundles").glob("*.yml"),
    ]
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

    def __init__(self, root: Path, check_interval: float = 2.0, imports: Optional[Path] = None) -> None:
        self.root = Path(root)
        self.imports = imports
        self.check_interval = check_interval
        self._lock = threading.Lock()
        self._signature = _signature(self.root, self.imports)
        self._catalogue = load_catalogue(self.root, imports=imports)
        self._checked_at = time.monotonic()
        self.version = 1

    def reload(self) -> Catalogue:
        """Re-read now (`kb reload`), whatever the files' timestamps say."""
        with self._lock:
            self._checked_at = time.monotonic()
            self._signature = _signature(self.root, self.imports)
            self._catalogue = load_catalogue(self.root, previous=self._catalogue, imports=self.imports)
            self.version += 1
            logger.info("knowledge base reloaded on request (version %d)", self.version)
        return self._catalogue

    def current(self) -> Catalogue:
        now = time.monotonic()
        if now - self._checked_at >= self.check_interval:
            with self._lock:
                self._checked_at = now
                sig = _signature(self.root, self.imports)
                if sig != self._signature:
                    self._catalogue = load_catalogue(self.root, previous=self._catalogue, imports=self.imports)
                    self._signature = sig
                    self.version += 1
                    logger.info("knowledge base reloaded (version %d)", self.version)
        return self._catalogue
