"""Rasa 3.6's per-message waste, removed without changing what it does (docs/operations.md, "Load benchmark").

- A call to the action server gives up after ACTION_TIMEOUT_SECONDS (default 3), not Rasa's
  300, so a citizen whose action server has died hears so at once from the channel.
- The action server's answers are checked against Rasa's response schema with a validator
  built once: Rasa calls `jsonschema.validate`, which re-checks the schema itself against the
  2020-12 meta-schema on every call; that was 70 % of Rasa's CPU time per message.
- An event's class is looked up by its type name once, not by walking every subclass of
  Event for each stored event each time a conversation is loaded (the next 8 %).

These replace Rasa's own methods, so they are written for one Rasa version: `install()`
patches only on RASA_VERSION and otherwise logs a warning and leaves Rasa as it is (slower,
never wrong). Importing this module changes nothing; `bot.rasa_runtime.startup.install()`
calls `install()` when Rasa builds our tracker store. tests/bot/test_speedups.py checks that every
replaced attribute still exists with the signature these replacements were written against.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Type

import rasa.core.actions.action as rasa_actions
import rasa.version
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.shared.core.events import Event

from common import settings

logger = logging.getLogger(__name__)

RASA_VERSION = "3.6.21"  # the version whose methods these replace, as pinned in requirements.txt
# What install() replaces: (owner, attribute name). The test checks each still exists as expected.
PATCHED = (
    (rasa_actions, "DEFAULT_REQUEST_TIMEOUT"),
    (rasa_actions.RemoteAction, "_validate_action_result"),
    (Event, "resolve_by_type"),
)

_RESPONSE_SPEC = rasa_actions.RemoteAction.action_response_format_spec()
_RESPONSE_VALIDATOR = validator_for(_RESPONSE_SPEC)(_RESPONSE_SPEC)
# Rasa's originals, taken before anything is replaced: the replacements fall back on, or are compared with, them.
original_validate_action_result = rasa_actions.RemoteAction._validate_action_result
original_resolve_by_type = Event.resolve_by_type
_event_types: Dict[str, Type[Event]] = {}


def install() -> bool:
    """Replace Rasa's slow methods and bound action calls; True if done, False on another Rasa version."""
    installed = rasa.version.__version__
    if installed != RASA_VERSION:
        logger.warning(
            "Rasa %s is installed, but bot/rasa_runtime/speedups.py was written for Rasa %s: "
            "Rasa's methods are left as they are (slower, and action calls wait up to Rasa's "
            "default timeout). Check the replaced methods against the new version, then update "
            "RASA_VERSION.",
            installed,
            RASA_VERSION,
        )
        return False
    rasa_actions.DEFAULT_REQUEST_TIMEOUT = settings.action_timeout_seconds()
    rasa_actions.RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(_resolve_event_type_once)
    return True


def _validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    """Rasa's own check of an action server response, minus the per-call check of the schema."""
    try:
        _RESPONSE_VALIDATOR.validate(result)
    except ValidationError as e:
        e.message += (
            ". Failed to validate Action server response from API, make sure your response from the "
            "Action endpoint is valid."
        )
        raise e
    return True


def _resolve_event_type_once(type_name: str, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """Rasa's lookup of an event class by its type name, remembered per name (a miss is not remembered)."""
    if type_name not in _event_types:
        found = original_resolve_by_type(type_name, default)
        if found is None or found is default:
            return found
        _event_types[type_name] = found
    return _event_types[type_name]
