"""Typed, read-only views of validated knowledge-base files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple


@dataclass(frozen=True)
class Question:
    """One question of the progressive questionnaire (递进式问卷)."""

    id: str
    ask: str
    options: Tuple[str, ...]

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Question":
        return cls(d["id"], d["ask"], tuple(d["options"]))


@dataclass(frozen=True)
class Material:
    """One 申请材料 of one item."""

    name: str
    form: str  # 原件 / 复印件 / 原件和复印件
    copies: int
    medium: str  # 纸质 / 电子 / 纸质或电子
    required: str  # 必要 / 视情况 / 容缺
    source: str
    condition: Optional[str] = None
    when: Mapping[str, str] = field(default_factory=dict)
    notes: Optional[str] = None

    @property
    def is_conditional(self) -> bool:
        return self.required == "视情况"

    def applies_to(self, answers: Mapping[str, str]) -> bool:
        """Whether this material is needed, given questionnaire answers.

        An unanswered question (absent, or "" for "the citizen does not know")
        counts as "maybe", so the material stays listed.
        """
        return all(answers.get(q) in (None, "", want) for q, want in self.when.items())

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Material":
        return cls(
            name=d["name"],
            form=d["form"],
            copies=d["copies"],
            medium=d["medium"],
            required=d["required"],
            source=d["source"],
            condition=d.get("condition"),
            when=dict(d.get("when") or {}),
            notes=d.get("notes"),
        )


@dataclass(frozen=True)
class Channel:
    """One way to look something up or get help: an App, a website, a hotline, a machine, a window."""

    type: str  # App / 小程序 / 网站 / 热线 / 自助终端 / 窗口
    name: str
    how: str


@dataclass(frozen=True)
class Fee:
    name: str
    standard: str
    basis: str


@dataclass(frozen=True)
class FAQ:
    q: str
    a: str


@dataclass(frozen=True)
class ServiceItem:
    """One 办事事项 with its 办事指南."""

    id: str
    name: str
    aliases: Tuple[str, ...]
    department: str
    service_object: str
    summary: str
    conditions: Tuple[str, ...]
    materials: Tuple[Material, ...]
    process: Tuple[str, ...]
    legal_time_limit: str
    promised_time_limit: str
    free: bool
    fees: Tuple[Fee, ...]
    fee_notes: Optional[str]
    place: str
    hours: str
    contact: str
    online: bool
    online_entry: Optional[str]
    online_notes: Optional[str]
    trips: int
    delivery: Tuple[str, ...]
    faq: Tuple[FAQ, ...]
    local_note: str
    questions: Tuple[Question, ...] = ()
    legal_basis: Tuple[str, ...] = ()
    category: Optional[str] = None
    result: Optional[str] = None
    kind: str = "办理"  # 办理 (an application) / 查询 (a look-up) / 服务 (help)
    department_id: str = ""
    channels: Tuple[Channel, ...] = ()
    family: Optional[str] = None
    cues: Tuple[str, ...] = ()  # words that point to this item rather than to its siblings
    reviewed_on: Optional[str] = None  # when staff last checked the guide against the rules (YYYY-MM-DD)
    reviewed_by: Optional[str] = None
    source_file: str = ""
    # Where a region's place, phones and time limits come from, when imported (knowledge_base/local_facts.py).
    local_source: Optional[str] = None

    is_bundle = False

    @property
    def is_lookup(self) -> bool:
        return self.kind == "查询"

    @property
    def preparable(self) -> bool:
        """Whether a checklist makes sense: an application or a service with materials to hand in."""
        return bool(self.materials) and not self.is_lookup

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], source_file: str = "") -> "ServiceItem":
        fees = d["fees"]
        online = d["online"]
        return cls(
            id=d["id"],
            name=d["name"],
            aliases=tuple(d["aliases"]),
            department=d["department"],
            service_object=d["service_object"],
            summary=d["summary"],
            conditions=tuple(d["conditions"]),
            materials=tuple(Material.from_dict(m) for m in d["materials"]),
            process=tuple(d["process"]),
            legal_time_limit=d["time_limit"]["legal"],
            promised_time_limit=d["time_limit"]["promised"],
            free=fees["free"],
            fees=tuple(Fee(**f) for f in fees.get("items", [])),
            fee_notes=fees.get("notes"),
            place=d["location"]["place"],
            hours=d["location"]["hours"],
            contact=d["contact"],
            online=online["available"],
            online_entry=online.get("entry"),
            online_notes=online.get("notes"),
            trips=d["trips"],
            delivery=tuple(d["delivery"]),
            faq=tuple(FAQ(f["q"], f["a"]) for f in d["faq"]),
            local_note=d["local_note"],
            questions=tuple(Question.from_dict(q) for q in d.get("questions", [])),
            legal_basis=tuple(d.get("legal_basis", [])),
            category=d.get("category"),
            result=d.get("result"),
            kind=d.get("kind", "办理"),
            department_id=d.get("department_id", ""),
            channels=tuple(Channel(**c) for c in d.get("channels", [])),
            family=d.get("family"),
            cues=tuple(d.get("cues", [])),
            reviewed_on=(d.get("reviewed") or {}).get("date"),
            reviewed_by=(d.get("reviewed") or {}).get("by"),
            source_file=source_file,
        )


@dataclass(frozen=True)
class Department:
    """One department of the directory: what it handles and how a citizen reaches it."""

    id: str
    name: str
    handles: str
    topics: Tuple[str, ...]
    channels: Tuple[Channel, ...]
    general: bool = False  # a catch-all (12345): a more specific department named wins
    # How citizens ask about its matters, guides or not: tells the department when no guide fits.
    examples: Tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Department":
        return cls(
            d["id"],
            d["name"],
            d["handles"],
            tuple(d["topics"]),
            tuple(Channel(type="", **c) for c in d["channels"]),
            bool(d.get("general", False)),
            tuple(d.get("examples") or ()),
        )


@dataclass(frozen=True)
class Sibling:
    """A 办理项 of a family that the catalogue has no guide for (驾驶证注销)."""

    name: str
    cues: Tuple[str, ...]


@dataclass(frozen=True)
class Family:
    """Sibling items under one 主项 (驾驶证: 申领, 补领, 换证…) and how to tell them apart."""

    id: str
    name: str
    department_id: str
    terms: Tuple[str, ...]  # words that name the family as a whole (驾照, 驾驶证)
    ask: str  # the question that tells its members apart
    uncovered: Tuple[Sibling, ...] = ()
    common: Tuple[str, ...] = ()  # member ids, most asked first: the order when nothing else tells them apart

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Family":
        return cls(
            d["id"],
            d["name"],
            d["department_id"],
            tuple(d["terms"]),
            d["ask"],
            tuple(Sibling(u["name"], tuple(u["cues"])) for u in d.get("uncovered", [])),
            tuple(d.get("common", ())),
        )


@dataclass(frozen=True)
class ExtraStep:
    """A step of a life event that is outside the catalogue (e.g. 预防接种证)."""

    name: str
    where: str
    notes: Optional[str] = None


@dataclass(frozen=True)
class BundleMaterial:
    """A material of a bundle's merged list, with the member items that need it."""

    material: Material
    needed_for: Tuple[str, ...]  # member item ids


@dataclass(frozen=True)
class Bundle:
    """A life event (一件事): several items applied for together."""

    id: str
    name: str
    aliases: Tuple[str, ...]
    summary: str
    members: Tuple[ServiceItem, ...]
    extra_steps: Tuple[ExtraStep, ...]
    process: Tuple[str, ...]
    place: str
    hours: str
    contact: str
    online: bool
    online_entry: Optional[str]
    online_notes: Optional[str]
    trips: int
    local_note: str
    time_limit: Optional[str] = None
    faq: Tuple[FAQ, ...] = ()
    notes: Tuple[str, ...] = ()
    implied_answers: Mapping[str, str] = field(default_factory=dict)
    reviewed_on: Optional[str] = None
    reviewed_by: Optional[str] = None
    source_file: str = ""
    events: Tuple[str, ...] = ()  # words of the life event itself (去世、后事): with 要办哪些手续, the bundle

    is_bundle = True

    @property
    def materials(self) -> Tuple[BundleMaterial, ...]:
        """Members' materials merged by name, minus those the life event rules out
        (a newborn does not bring its own ID card)."""
        return merge_materials(self.members, self.implied_answers)

    @property
    def fees(self) -> Tuple[Fee, ...]:
        return tuple(f for item in self.members for f in item.fees)

    # A life event is always an application with materials to prepare (class attributes, not fields).
    kind = "办理"
    preparable = True
    is_lookup = False
    channels = ()

    @property
    def free(self) -> bool:
        return all(item.free for item in self.members)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], members: Tuple[ServiceItem, ...], source_file: str = "") -> "Bundle":
        online = d["online"]
        return cls(
            id=d["id"],
            name=d["name"],
            aliases=tuple(d["aliases"]),
            summary=d["summary"],
            members=members,
            extra_steps=tuple(ExtraStep(**s) for s in d.get("extra_steps", [])),
            process=tuple(d["process"]),
            place=d["location"]["place"],
            hours=d["location"]["hours"],
            contact=d["contact"],
            online=online["available"],
            online_entry=online.get("entry"),
            online_notes=online.get("notes"),
            trips=d["trips"],
            local_note=d["local_note"],
            time_limit=d.get("time_limit"),
            faq=tuple(FAQ(f["q"], f["a"]) for f in d.get("faq", [])),
            notes=tuple(d.get("notes", [])),
            implied_answers=dict(d.get("implied_answers") or {}),
            reviewed_on=(d.get("reviewed") or {}).get("date"),
            reviewed_by=(d.get("reviewed") or {}).get("by"),
            events=tuple(d.get("events", ())),
            source_file=source_file,
        )


def merge_materials(items: Tuple[ServiceItem, ...], answers: Mapping[str, str]) -> Tuple[BundleMaterial, ...]:
    """The materials that apply given `answers`, merged by name so that a document
    several items need (父母双方居民身份证) is listed once, in guide order."""
    merged: Dict[str, Tuple[Material, List[str]]] = {}
    for item in items:
        for m in item.materials:
            if not m.applies_to(answers):
                continue
            if m.name not in merged:
                merged[m.name] = (m, [item.id])
            elif item.id not in merged[m.name][1]:
                merged[m.name][1].append(item.id)
    return tuple(BundleMaterial(m, tuple(ids)) for m, ids in merged.values())
