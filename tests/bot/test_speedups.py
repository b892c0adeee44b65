"""bot/rasa_runtime/speedups.py replaces Rasa methods: they must still be there, shaped as
they were when the replacements were written, behave the same, and be left alone on
another Rasa version."""

from __future__ import annotations

import inspect
import logging
import subprocess
import sys

import pytest
import rasa.core.actions.action as rasa_actions
import rasa.version
from jsonschema import ValidationError
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered

from bot.rasa_runtime import speedups

RemoteAction = rasa_actions.RemoteAction
VALID = {
    "events": [{"event": "slot", "name": "service", "value": "passport"}],
    "responses": [{"text": "办理「普通护照签发」需要准备："}],
}
INVALID = {"events": [{"event": "slot", "name": 5}], "responses": "not a list"}


@pytest.fixture
def restored(monkeypatch):
    """Whatever install() replaces is put back after the test."""
    for owner, name in speedups.PATCHED:
        value = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        monkeypatch.setattr(owner, name, value)


def parameters(function) -> list:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


def test_written_for_the_installed_rasa():
    assert rasa.version.__version__ == speedups.RASA_VERSION


def test_every_patched_attribute_still_exists_with_the_expected_signature():
    for owner, name in speedups.PATCHED:
        assert hasattr(owner, name), f"Rasa no longer has {owner.__name__}.{name}"
    assert isinstance(rasa_actions.DEFAULT_REQUEST_TIMEOUT, int)
    assert parameters(speedups.original_validate_action_result) == [
        ("self", inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.empty),
        ("result", inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.empty),
    ]
    assert parameters(speedups.original_validate_action_result) == parameters(speedups._validate_action_result)
    assert isinstance(Event.__dict__["resolve_by_type"], staticmethod)
    assert parameters(speedups.original_resolve_by_type) == [
        ("type_name", inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.empty),
        ("default", inspect.Parameter.POSITIONAL_OR_KEYWORD, None),
    ]
    assert parameters(speedups.original_resolve_by_type) == parameters(speedups._resolve_event_type_once)
    # the validator is built from the spec Rasa itself checks against
    assert callable(RemoteAction.action_response_format_spec)


def test_the_replacements_behave_as_the_originals(restored):
    action = RemoteAction("action_answer_question", None)
    assert speedups.original_validate_action_result(action, VALID) is True
    assert speedups._validate_action_result(action, VALID) is True
    for check in (speedups.original_validate_action_result, speedups._validate_action_result):
        with pytest.raises(ValidationError, match="Failed to validate Action server response"):
            check(action, INVALID)
    for name, cls in (("user", UserUttered), ("bot", BotUttered), ("slot", SlotSet), ("action", ActionExecuted)):
        assert speedups.original_resolve_by_type(name) is cls
        assert speedups._resolve_event_type_once(name) is cls
        assert speedups._resolve_event_type_once(name) is cls  # from the cache the second time
    assert speedups._resolve_event_type_once("no_such_event", SlotSet) is SlotSet
    assert speedups.original_resolve_by_type("no_such_event", SlotSet) is SlotSet
    assert "no_such_event" not in speedups._event_types


def test_install_patches_on_the_version_it_was_written_for(restored, monkeypatch):
    monkeypatch.setenv("ACTION_TIMEOUT_SECONDS", "7")
    assert speedups.install() is True
    assert rasa_actions.DEFAULT_REQUEST_TIMEOUT == 7
    assert RemoteAction._validate_action_result is speedups._validate_action_result
    assert Event.resolve_by_type is speedups._resolve_event_type_once


def test_install_patches_nothing_on_another_rasa_version(restored, monkeypatch, caplog):
    monkeypatch.setattr(rasa.version, "__version__", "3.7.0")
    before = {
        name: (owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name))
        for owner, name in speedups.PATCHED
    }
    with caplog.at_level(logging.WARNING, logger=speedups.__name__):
        assert speedups.install() is False
    after = {
        name: (owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name))
        for owner, name in speedups.PATCHED
    }
    assert after == before
    assert "Rasa 3.7.0" in caplog.text and speedups.RASA_VERSION in caplog.text


def test_importing_the_runtime_patches_nothing():
    """The patch is made by the stores' constructors (startup.install), not as a side effect of an import."""
    probe = (
        "import bot.rasa_runtime, rasa.core.actions.action as a; from rasa.shared.core.events import Event; "
        "print(a.DEFAULT_REQUEST_TIMEOUT, Event.resolve_by_type.__module__, "
        "a.RemoteAction._validate_action_result.__module__)"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.split() == ["300", "rasa.shared.core.events", "rasa.core.actions.action"]
