"""Rasa pipeline components for Chinese: normaliser, tokenizer, intent classifier, service extractor.

They are thin adapters: the work is done by `normalize`, `terms` and
`service_matcher`, which know nothing about Rasa.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from common.text import normalize_text
from bot.nlu.imported_matcher import ANSWER as IMPORTED_ANSWER, ImportedMatcher
from bot.nlu.service_matcher import MatchResult, ServiceMatcher
from bot.nlu.terms import service_terms
from common import settings
from domain_logic.decision import ANSWER, IMPORTED_ANSWER_SOURCE, IMPORTED_ASK_SOURCE, candidates_in, decide
from domain_logic.replies import ANSWERS
from knowledge_base import LiveCatalogue

logger = logging.getLogger(__name__)

SERVICE_ENTITY = "service"
# Intents that are certainly about some service: they allow the matcher's looser tier.
SERVICE_INTENTS = {*ANSWERS, "start_checklist"}
CANDIDATE_ENTITY = "service_candidate"
UNCOVERED_ENTITY = "uncovered"  # a 办理项 the catalogue has no guide for
DEPARTMENT_ENTITY = "department"  # who handles it, or the domain a message names
POLICY_ENTITY = "policy"  # the service named asks for a figure no guide states
SIBLING_ENTITY = "sibling"  # nothing named, but a family member's cue is there (丢了呢)
SIBLING_GAP_ENTITY = "sibling_gap"  # likewise for a 办理项 without a guide: "family-id:name"
USER_DICT_FILE = "kb_userdict.txt"


def knowledge_base_dir(config: Dict[Text, Any]) -> Path:
    """KB_DIR in the environment wins, so a deployment can point elsewhere."""
    return settings.kb_dir(config.get("knowledge_base"))


_live: Dict[Path, LiveCatalogue] = {}


def live_catalogue(root: Path) -> LiveCatalogue:
    """One live catalogue per directory, shared by the tokenizer and the extractor, with the region's
    import (KB_PROFILE) that the action server reads too."""
    if root not in _live:
        _live[root] = LiveCatalogue(root, imports=settings.kb_imports_dir())
    return _live[root]


def reload_live_catalogues() -> Dict[str, Any]:
    """Re-read every knowledge base this process serves (the admin reload route)."""
    result: Dict[str, Any] = {"version": 0, "entries": 0, "errors": []}
    for live in _live.values():
        catalogue = live.reload()
        result["version"] = live.version
        result["entries"] += len(list(catalogue.entries()))
        result["errors"] += [str(e) for e in catalogue.errors]
    return result


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class TextNormalizer(GraphComponent):
    """Rewrites the message text before tokenizing: 辦護照 → 办护照, length capped."""

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "TextNormalizer":
        return cls()

    def _normalize(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if isinstance(text, str):
                message.set(TEXT, normalize_text(text))
        return messages

    def process(self, messages: List[Message]) -> List[Message]:
        return self._normalize(messages)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._normalize(training_data.training_examples)
        return training_data


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class KnowledgeBaseJiebaTokenizer(JiebaTokenizer):
    """Jieba with a user dictionary of every service name and alias.

    The dictionary is generated from the knowledge base at training time and
    stored inside the model, so the model carries it wherever it goes. At load
    time, terms staff have added since are added too, without retraining.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**JiebaTokenizer.get_default_config(), "knowledge_base": None}

    @classmethod
    def _add_live_terms(cls, config: Dict[Text, Any]) -> None:
        import jieba

        catalogue = live_catalogue(knowledge_base_dir(config)).current()
        for term in service_terms(catalogue):
            jieba.add_word(term, freq=2000)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "KnowledgeBaseJiebaTokenizer":
        cls._add_live_terms(config)
        return cls(config, model_storage, resource)

    def persist(self) -> None:
        """Write the user dictionary into the model."""
        catalogue = live_catalogue(knowledge_base_dir(self._config)).current()
        lines = [f"{term} 2000 n" for term in sorted(service_terms(catalogue)) if " " not in term]
        with self._model_storage.write_to(self._resource) as directory:
            (Path(directory) / USER_DICT_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "KnowledgeBaseJiebaTokenizer":
        try:
            with model_storage.read_from(resource) as directory:
                cls._load_custom_dictionary(str(directory))
        except ValueError:
            logger.warning("model has no jieba user dictionary; using the live knowledge base only")
        cls._add_live_terms(config)
        return cls(config, model_storage, resource)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class IntentClassifier(LogisticRegressionClassifier):
    """Rasa's logistic regression, except that a message with no words (empty, spaces only) gets no intent.

    Rasa's raises on it (a matrix with no features); with no intent, FallbackClassifier turns
    it into nlu_fallback and the citizen is asked to rephrase.
    """

    def process(self, messages: List[Message]) -> List[Message]:
        with_words = []
        for message in messages:
            if message.get_sparse_features(TEXT)[1] is None:
                message.set(INTENT, {INTENT_NAME_KEY: None, "confidence": 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
            else:
                with_words.append(message)
        if with_words:
            super().process(with_words)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class ServiceEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Emits entity `service` (a catalogue id) for the service a message names.

    An ambiguous mention (身份证 → 换领 or 补领) gives `service_candidate`
    entities instead, one per candidate, for the dialogue to ask about. The
    matcher follows the live knowledge base, so new aliases work at once.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"knowledge_base": None}

    def __init__(self, config: Dict[Text, Any]) -> None:
        self._catalogue = live_catalogue(knowledge_base_dir(config))
        self._matcher: Optional[ServiceMatcher] = None
        self._imported: Optional[ImportedMatcher] = None
        self._matcher_version = -1

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ServiceEntityExtractor":
        return cls({**cls.get_default_config(), **config})

    def matcher(self) -> ServiceMatcher:
        catalogue = self._catalogue.current()
        if self._matcher is None or self._matcher_version != self._catalogue.version:
            self._matcher = ServiceMatcher(catalogue)
            self._imported = ImportedMatcher(catalogue.imported.values(), catalogue.citizen_words)
            self._matcher_version = self._catalogue.version
        return self._matcher

    def imported_matcher(self) -> ImportedMatcher:
        self.matcher()
        assert self._imported is not None  # built with the matcher
        return self._imported

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or not text.strip():
                continue
            # Skip `/intent{...}` payloads from buttons: they carry their own entities.
            if text.startswith("/"):
                continue
            intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            result = self.matcher().match(text, about_a_service=intent in SERVICE_INTENTS)
            entities = self._entities_for(result)
            entities = self._imported_entities(text, result, message, entities) or entities
            if entities:
                message.set(ENTITIES, message.get(ENTITIES, []) + self.add_extractor_name(entities), add_to_output=True)
        return messages

    def _entities_for(self, result: MatchResult) -> List[Dict[Text, Any]]:
        entities: List[Dict[Text, Any]] = []
        m = result.mention
        if result.policy:  # about the service named, or the one in context (批下来每月能领多少)
            entities.append({"entity": POLICY_ENTITY, "value": result.service or "in-context"})
        if result.service and m:
            entities.append(
                {
                    "entity": SERVICE_ENTITY,
                    "value": result.service,
                    "start": m.start,
                    "end": m.end,
                    "confidence": m.confidence,
                }
            )
        elif result.candidates and m:
            entities += [
                {
                    "entity": CANDIDATE_ENTITY,
                    "value": c,
                    "start": m.start,
                    "end": m.end,
                    "confidence": m.confidence,
                    "score": score,  # resemblance, for the dialogue's confidence (domain_logic/decision.py)
                    "source": result.source,
                    "coverage": result.coverage,
                    "department_agrees": result.department_agrees,
                }
                for c, score in zip(result.candidates, result.scores)
            ]
        if result.uncovered:
            entities.append({"entity": UNCOVERED_ENTITY, "value": result.uncovered.name})
        if result.department and not result.service:
            # A department only resembled (no topic word) is a hint, not a new topic: lower confidence.
            entities.append(
                {
                    "entity": DEPARTMENT_ENTITY,
                    "value": result.department,
                    "confidence": 1.0 if result.department_named else 0.5,
                }
            )
        entities += [{"entity": SIBLING_ENTITY, "value": v} for v in result.siblings]
        entities += [{"entity": SIBLING_GAP_ENTITY, "value": v} for v in result.gaps]
        return entities

    def _imported_entities(
        self, text: str, result: MatchResult, message: Message, ours: List[Dict[Text, Any]]
    ) -> List[Dict[Text, Any]]:
        """A region's imported record where none of our guides is named: the candidates to answer (the
        first, the rest one tap away) or to ask about, as `source` says. A resemblance to one of our
        guides strong enough to be answered stays ours; where a word of ours is there (a family's 证明,
        a 办理项 we have no guide for), only an imported name longer than that word counts."""
        if result.service or result.policy or not len(self.imported_matcher()):
            return []
        if result.candidates and result.source == "resembled":
            parse = {"entities": ours, "intent": message.get(INTENT), "intent_ranking": message.get(INTENT_RANKING_KEY)}
            if decide(candidates_in(parse)).kind == ANSWER:
                return []
        our_word = result.mention.term if result.mention is not None and result.source != "resembled" else ""
        if result.uncovered is not None:
            our_word = max(our_word, result.uncovered.name, key=len)
        found = self.imported_matcher().match(text, named_longer_than=len(our_word) if our_word else None)
        if found is None:
            return []
        source = IMPORTED_ANSWER_SOURCE if found.kind == IMPORTED_ANSWER else IMPORTED_ASK_SOURCE
        candidates = [
            {"entity": CANDIDATE_ENTITY, "value": code, "confidence": 0.9, "score": 1.0, "source": source}
            for code in found.ids
        ]
        # Asked back, the citizen also hears whose matter it is, should none of the records fit: when the
        # sentence names the department's topic (a department only resembled might be the wrong one).
        named = source == IMPORTED_ASK_SOURCE and result.department_named
        department = [e for e in ours if e["entity"] == DEPARTMENT_ENTITY] if named else []
        return candidates + department


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ServiceFirstIntent(GraphComponent):
    """A message that names a service or a government matter is about that, not small talk.

    "我妈七十多了居住证还能办吗，谢谢" is not `thanks`, and "想把公司法人换了" is not
    `request_human`: when the classifier picks a small-talk or flow intent, the
    matcher found a service, candidates or a department, and the text lacks that
    intent's own words (谢谢, 人工, 评价…), the intent becomes `inquire_service`.
    A bare 是 / 没有 stays affirm / deny: the forms need them.
    """

    OWN_WORDS = {
        "greet": re.compile("^(你好|您好|hi|hello|在吗|早上好|下午好|晚上好)[啊呀!！。.~ ]*$"),
        "goodbye": re.compile("再见|拜拜|bye|回头见|先这样|下次再"),
        "thanks": re.compile("谢|感谢|thank|辛苦了"),
        "bot_challenge": re.compile("机器人|真人吗|人工智能|你是谁|是人吗"),
        "give_feedback": re.compile("评价|好评|差评|打分|评分|星|满意|回答|机器人"),
        "request_human": re.compile("人工|真人|工作人员|客服|坐席"),
        "request_callback": re.compile("回电|回个电话|打给我|打电话给我|打个电话|联系我|电话联系|电话回复"),
        "delete_my_data": re.compile("删除|删掉|清除|清空|注销我的"),
        "out_of_scope": re.compile("$^"),  # never its own words: a named service always wins
        # A bare yes or no stays one (the forms need them); "补好了还要激活不" is a question.
        "affirm": re.compile("^(是|是的|对|对的|好|好的|嗯|嗯嗯|行|可以|有|有的|ok|没错|没问题)[了啊呀的吧。！!~ ]*$"),
        "deny": re.compile("^(不|不是|不用|不要|没有|没|否|no|不需要)[了啊呀的吧。！!~ ]*$"),
        "cancel": re.compile("取消|不办了|算了|退出|不弄了|不准备了"),
        "checklist_answer": re.compile("$^"),  # a button's payload; typed text that names a service is a question
        "resume_checklist": re.compile("继续|接着"),
    }
    ENTITIES = {SERVICE_ENTITY, CANDIDATE_ENTITY, UNCOVERED_ENTITY, DEPARTMENT_ENTITY, SIBLING_ENTITY, POLICY_ENTITY}
    # 还要考试不 / 能取消不 / 要带户口本吗: a yes-no question, not a yes or a no.
    YES_NO_QUESTION = re.compile("(要|能|可以|用|行|会|是|有|还).{0,12}(不|没|吗|么|嘛)[？?。!！~ ]*$|[？?]\\s*$")

    # Words of one aspect that the classifier reads as another, or as a general question: read first.
    # 住满多久 asks a condition, not a time limit; 在哪办 on a general question asks the place.
    ASPECTS = (
        (
            "ask_conditions",
            re.compile("住满|满多久|满几年|要满|够不够条件|符合什么条件|什么条件|啥条件|要满足|有什么要求"),
            {"ask_time_limit", "inquire_service"},
        ),
        ("ask_fee", re.compile("多少钱|收费吗|收不收费|要钱吗|要不要钱|花多少|费用"), {"inquire_service"}),
        ("ask_location", re.compile("在哪办|去哪办|哪里办|在哪里办|去哪里办|在哪儿办"), {"inquire_service"}),
        (
            "ask_materials",
            re.compile("带什么|带啥|要带哪些|什么材料|哪些材料|啥材料|准备什么|准备啥"),
            {"inquire_service"},
        ),
        ("ask_online", re.compile("网上能办|网上办|手机上能办|手机上办|线上办|网上申请"), {"inquire_service"}),
    )

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "ServiceFirstIntent":
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            self._read_aspect(message)
            intent = message.get(INTENT) or {}
            name, text = intent.get(INTENT_NAME_KEY), message.get(TEXT) or ""
            own = self.OWN_WORDS.get(name or "")
            if own is None or text.startswith("/") or own.search(text.lower()):
                continue
            if any(e.get("entity") in self.ENTITIES for e in message.get(ENTITIES, [])):
                message.set(
                    INTENT,
                    {
                        INTENT_NAME_KEY: "inquire_service",
                        "confidence": max(float(intent.get("confidence") or 0.0), 0.5),
                    },
                    add_to_output=True,
                )
            elif name in ("affirm", "deny") and self.YES_NO_QUESTION.search(text):
                message.set(INTENT, self._question_behind(message), add_to_output=True)
        return messages

    def _read_aspect(self, message: Message) -> None:
        """The first aspect whose words the text has, where the classifier chose a general or a near intent."""
        intent = message.get(INTENT) or {}
        text = message.get(TEXT) or ""
        if text.startswith("/"):
            return
        for aspect, words, overruled in self.ASPECTS:
            if intent.get(INTENT_NAME_KEY) in overruled and words.search(text):
                confidence = max(float(intent.get("confidence") or 0.0), 0.5)
                message.set(INTENT, {INTENT_NAME_KEY: aspect, "confidence": confidence}, add_to_output=True)
                return

    @staticmethod
    def _question_behind(message: Message) -> Dict[Text, Any]:
        """The best-ranked question about a service, else a general one (its overview answers)."""
        ranking = message.get("intent_ranking") or []
        asked = next((r for r in ranking if r.get(INTENT_NAME_KEY) in SERVICE_INTENTS), None)
        if asked is None:
            return {INTENT_NAME_KEY: "inquire_service", "confidence": 0.5}
        return {INTENT_NAME_KEY: asked[INTENT_NAME_KEY], "confidence": max(float(asked.get("confidence") or 0.0), 0.5)}
