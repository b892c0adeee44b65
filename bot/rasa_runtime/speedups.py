"""Rasa 3.6's per-message waste, removed without changing what it does (README, "Load benchmark").

- A call to the action server gives up after ACTION_TIMEOUT_SECONDS (default 3), not Rasa's
  300, so a citizen whose action server has died hears so at once from the channel.
- The action server's answers are checked against Rasa's response schema with a validator
  built once: Rasa calls `jsonschema.validate`, which re-checks the schema itself against the
  2020-12 meta-schema on every call; that was 70 % of Rasa's CPU time per message.
- An event's class is looked up by its type name once, not by walking every subclass of
  Event for each stored event each time a conversation is loaded (the next 8 %).
"""
from __future__ import annotations

import os
from typing import Any, Dict, Optional, Type

import rasa.core.actions.action as rasa_actions
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.shared.core.events import Event

_RESPONSE_SPEC = rasa_actions.RemoteAction.action_response_format_spec()
_RESPONSE_VALIDATOR = validator_for(_RESPONSE_SPEC)(_RESPONSE_SPEC)
_resolve_event_type = Event.resolve_by_type
_event_types: Dict[str, Type[Event]] = {}


def install() -> None:
    rasa_actions.DEFAULT_REQUEST_TIMEOUT = int(os.environ.get("ACTION_TIMEOUT_SECONDS", "3"))
    rasa_actions.RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(_resolve_event_type_once)


def _validate_action_result(self, result: Dict[str, Any]) -> bool:
    """Rasa's own check of an action server response, minus the per-call check of the schema."""
    try:
        _RESPONSE_VALIDATOR.validate(result)
    except ValidationError as e:
        e.message += (". Failed to validate Action server response from API, make sure your response from the "
                      "Action endpoint is valid.")
        raise e
    return True


def _resolve_event_type_once(type_name: str, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    if type_name not in _event_types:
        found = _resolve_event_type(type_name, default)
        if found is None or found is default:
            return found
        _event_types[type_name] = found
    return _event_types[type_name]
