"""Which service a turn is about: the one just named, or the one in context."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker

from actions.buttons import button
from actions.catalogue import catalogue
from domain_logic.decision import ANSWER, ASK, MAX_OPTIONS, candidates_in, decide
from knowledge_base import Bundle

SERVICE = "service"
CANDIDATE = "service_candidate"
UNCOVERED = "uncovered"
DEPARTMENT = "department"
POLICY = "policy"
SIBLING = "sibling"
SIBLING_GAP = "sibling_gap"
FAMILY = "service_family"
# A message this long that names a department's matter is a new topic, not a follow-up (在派出所办吗).
MIN_NEW_TOPIC_CHARS = 8
# Below this the NLU only guessed from resemblance, not from a name or alias.
NAMED_CONFIDENCE = 0.7

# 那养老的呢 / 离婚证呢 / 那要是护照: a topic word and nothing else, after an answer.
ELLIPSIS = re.compile(
    "^(?:(?:那么|那要是|那如果是|那|要是|如果是|换成)([^，,。？?！!呢的\\s]{2,8}?)的?(?:呢|怎么办|咋办)?"
    "|([^，,。？?！!呢的\\s]{2,8}?)的?呢)[？?。！!~\\s]*$"
)
ELLIPTICAL_INTENTS = {"inquire_service", "nlu_fallback", "out_of_scope", None}

# Offered when a question names no service and nothing is in context.
POPULAR = ("passport", "id-card-renewal", "housing-fund-withdrawal")


@dataclass(frozen=True)
class ServiceInContext:
    service: Optional[str]  # the entry to answer about
    candidates: Tuple[str, ...]  # ask the citizen to choose among these
    named_now: bool  # named in this message (not carried over)
    guessed: bool = False  # inferred from resemblance; say so in the answer
    previous: Optional[str] = None  # the service in context before this message
    gap: Optional["NoGuide"] = None  # a matter the catalogue has no guide for
    policy: bool = False  # asks for a figure (能领多少) that no guide states
    alternatives: Tuple[str, ...] = ()  # offered under the answer, one tap away (不是这个？)


@dataclass(frozen=True)
class NoGuide:
    """What the citizen asked about that no entry covers, and who handles it."""

    department: Optional[str]  # departments.yml id
    matter: Optional[str] = None  # the uncovered 办理项's name, when a family names it


def _entities(tracker: Tracker, name: str) -> List[Dict[str, Any]]:
    seen, out = set(), []
    for e in tracker.latest_message.get("entities", []) or []:
        if e.get("entity") == name and isinstance(e.get("value"), str) and e["value"] not in seen:
            seen.add(e["value"])
            out.append(e)
    return out


def service_in_context(tracker: Tracker) -> ServiceInContext:
    """Which service this turn is about (`_service_in_context`), flagged when it asks for a figure
    of local policy (能涨多少) that no guide states, whichever way the service was found."""
    context = _service_in_context(tracker)
    if context.service and _entities(tracker, POLICY):
        return dataclasses.replace(context, policy=True)
    return context


def _service_in_context(tracker: Tracker) -> ServiceInContext:
    """A service named now wins; an ambiguous mention asks; a sibling's cue (丢了呢) moves within the
    family in context; a matter without a guide, or another department's domain, is answered
    honestly; else the slot carries over.

    A guess (low confidence) is offered as options only when no service is in context yet.
    """
    previous = tracker.get_slot(SERVICE)
    switched = _elliptical_switch(tracker, previous)
    if switched is not None:
        return switched
    named = _entities(tracker, SERVICE)
    uncovered = _entities(tracker, UNCOVERED)
    departments = _entities(tracker, DEPARTMENT)
    department = departments[0]["value"] if departments else None
    topic_named = bool(departments) and float(departments[0].get("confidence") or 1.0) >= NAMED_CONFIDENCE
    if uncovered and not named:
        # 居住证丢了 names another matter: it never falls back on the service in context.
        gap = NoGuide(department, uncovered[0]["value"])
        return ServiceInContext(None, (), True, previous=previous, gap=gap)
    if named:
        top = named[0]
        confident = float(top.get("confidence") or 1.0) >= NAMED_CONFIDENCE
        if confident or not previous:
            return ServiceInContext(top["value"], (), True, guessed=not confident, previous=previous)
    candidate_entities = _entities(tracker, CANDIDATE)
    candidates = tuple(e["value"] for e in candidate_entities)
    guesses = bool(candidates) and all(float(e.get("confidence") or 1.0) < NAMED_CONFIDENCE for e in candidate_entities)
    if candidates and not guesses:
        # While preparing, "身份证复印件要几份" asks about a material, not about the 身份证 services.
        if previous and tracker.active_loop_name and _names_a_material_of(previous, candidate_entities, tracker):
            return ServiceInContext(previous, (), False, previous=previous)
        # 社保局在哪 after 退休: the family word covers the service in context, so it stays.
        if previous in candidates:
            return ServiceInContext(previous, (), False, previous=previous)
        return _decided(tracker, previous, department)
    text = tracker.latest_message.get("text") or ""
    new_topic = bool(department) and (not previous or (topic_named and len(text) >= MIN_NEW_TOPIC_CHARS))
    within_family = _sibling_in_family(tracker, previous)
    if within_family is not None and not (
        new_topic and topic_named and department != _family_department(tracker, previous)
    ):
        return within_family
    if guesses and not previous:
        return _decided(tracker, previous, department)
    if not previous:
        # 车子要年检了 / 想入户到这边 name no service, but cues of family members: offer those, the ones
        # of the department named first, with that department for "none of these".
        siblings = _siblings_of_department_first(tracker, department)
        if siblings:
            return ServiceInContext(
                None,
                siblings[:MAX_OPTIONS],
                True,
                previous=previous,
                guessed=True,
                gap=NoGuide(department) if department else None,
            )
    if new_topic:
        # 车子要年检了 after 驾照记分: cues of that department's members are options, not a gap.
        siblings = tuple(
            i
            for i in _siblings_of_department_first(tracker, department)
            if getattr(catalogue().get(i), "department_id", None) == department
        )
        if siblings:
            return ServiceInContext(
                None, siblings[:MAX_OPTIONS], True, previous=previous, guessed=True, gap=NoGuide(department)
            )
        # 另外，我爸留下一套房要公证: another matter, even in the same department, is a new topic.
        return ServiceInContext(None, (), False, previous=previous, gap=NoGuide(department))
    return ServiceInContext(previous, (), False, previous=previous)


def _decided(tracker: Tracker, previous: Optional[str], department: Optional[str]) -> ServiceInContext:
    """Several candidates: answer the first with the others one tap away, ask one short question, or
    (when none is likely) say there is no guide and whose matter it is (`domain_logic.decision`)."""
    message = tracker.latest_message or {}
    found = candidates_in(message)
    decision = decide(found)
    gap = NoGuide(department) if department else None
    if decision.kind == ANSWER:
        return ServiceInContext(decision.service, (), True, previous=previous, alternatives=decision.options)
    if decision.kind == ASK:
        guessed = found.source == "resembled"
        return ServiceInContext(None, decision.options, True, previous=previous, guessed=guessed, gap=gap)
    return ServiceInContext(None, (), True, previous=previous, gap=gap or NoGuide(None))


def _elliptical_switch(tracker: Tracker, previous: Optional[str]) -> Optional[ServiceInContext]:
    """离婚证呢 after 补领结婚证 → 补领 still; 那养老的呢 after 城乡居民医保 → 城乡居民养老保险: the new word
    replaces its counterpart and the rest of the topic stays (`Catalogue.variant_like`)."""
    message = tracker.latest_message or {}
    if not previous or (message.get("intent") or {}).get("name") not in ELLIPTICAL_INTENTS:
        return None
    found = ELLIPSIS.match((message.get("text") or "").strip())
    if found is None:
        return None
    variant = catalogue().variant_like(found.group(1) or found.group(2), previous)
    if variant is None:
        return None
    return ServiceInContext(variant, (), variant != previous, previous=previous)


def family_in_context(tracker: Tracker, previous: Optional[str]) -> Optional[str]:
    """The family just answered or asked about."""
    family = tracker.get_slot(FAMILY)
    if family:
        return family
    entry = catalogue().get(previous) if previous else None
    return getattr(entry, "family", None)


def _sibling_in_family(tracker: Tracker, previous: Optional[str]) -> Optional[ServiceInContext]:
    """那要是丢了呢 after 驾驶证到期换证 → 补领; 快过期了 after the 居住证 question → 签注."""
    family = family_in_context(tracker, previous)
    if not family:
        return None
    cat = catalogue()
    siblings = tuple(
        e["value"] for e in _entities(tracker, SIBLING) if getattr(cat.get(e["value"]), "family", None) == family
    )
    if len(siblings) == 1:
        return ServiceInContext(siblings[0], (), True, previous=previous)
    if len(siblings) > 1:
        return ServiceInContext(None, siblings, True, previous=previous)
    gaps = [
        e["value"].split(":", 1)[1] for e in _entities(tracker, SIBLING_GAP) if e["value"].split(":", 1)[0] == family
    ]
    if gaps and family in cat.families:
        return ServiceInContext(
            None, (), True, previous=previous, gap=NoGuide(cat.families[family].department_id, gaps[0])
        )
    return None


def _siblings_of_department_first(tracker: Tracker, department: Optional[str]) -> Tuple[str, ...]:
    cat = catalogue()
    siblings = [e["value"] for e in _entities(tracker, SIBLING)]
    return tuple(sorted(siblings, key=lambda i: getattr(cat.get(i), "department_id", None) != department))


def _family_department(tracker: Tracker, previous: Optional[str]) -> Optional[str]:
    family = catalogue().families.get(family_in_context(tracker, previous) or "")
    return family.department_id if family else None


def _names_a_material_of(service: str, mentions: List[Dict[str, Any]], tracker: Tracker) -> bool:
    """Whether the ambiguous term is part of a material name of the service in context."""
    entry = catalogue().get(service)
    text = tracker.latest_message.get("text") or ""
    term = text[mentions[0].get("start", 0) : mentions[0].get("end", 0)]
    if entry is None or not term:
        return False
    items = entry.members if isinstance(entry, Bundle) else (entry,)
    return any(term in m.name for item in items for m in item.materials)


def buttons(choices: List[Tuple[str, str, str]]) -> List[Dict[str, Any]]:
    """(title, intent, service) triples → Rasa buttons that ask `intent` about `service` directly."""
    return [button(title, intent, **{SERVICE: service}) for title, intent, service in choices]
