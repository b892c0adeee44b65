"""A base for actions that never leave the citizen without a reply.

If building an answer fails (a bug, an unexpected knowledge-base state), the
error is logged for the operators and the citizen gets a polite apology,
instead of Rasa's silence.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

logger = logging.getLogger(__name__)

APOLOGY = "抱歉，暂时无法查询，请稍后再试，或拨打 12345 政务服务便民热线。"


class SafeAction(Action, ABC):
    """Subclasses implement `answer` instead of `run`. (Abstract, so rasa_sdk does not register it.)"""

    @abstractmethod
    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        raise NotImplementedError

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        try:
            return self.answer(dispatcher, tracker, domain)
        except Exception:  # noqa: BLE001 — anything, so that the citizen still hears back
            logger.exception("action %s failed", self.name())
            dispatcher.messages.clear()
            dispatcher.utter_message(text=APOLOGY)
            return []
