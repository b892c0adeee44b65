"""What the Rasa server needs that its configuration cannot say.

Loaded by Rasa itself, as the tracker store named in endpoints.yml, so that every
deployment (one machine or a cluster) gets it:

- personal numbers are masked in the stored conversation (events) and in every log line;
- the Redis lock store issues tickets atomically, so two servers cannot both take
  the same conversation at once (Rasa's own reads, changes and writes the ticket
  list in three steps, and two messages arriving together interleaved in our cluster test);
- a call to the action server gives up after ACTION_TIMEOUT_SECONDS (default 3), not
  Rasa's 300, so a citizen whose action server has died hears so at once from the
  channel instead of waiting five minutes;
- the action server's answers are checked against Rasa's response schema with a
  validator built once: Rasa calls `jsonschema.validate`, which re-checks the schema
  itself against the 2020-12 meta-schema on every call, and that alone was 70 % of
  Rasa's CPU time per message in our profile (README, "Load benchmark");
- an event's class is looked up by its type name once, not by walking every subclass
  of Event for each stored event each time a conversation is loaded (the next 8 %);
- a long conversation is bounded: Rasa loads, replays, and posts to the action server
  every event of the current session on every message (RasaHQ/rasa#6334), so once a
  session holds SESSION_MAX_EVENTS events (default 100) and no form is in progress, the
  conversation goes on in a new session that carries every slot, exactly the events
  Rasa's own action_session_start writes. The citizen notices nothing.
"""
from __future__ import annotations

import itertools
import json
import logging
import os
from typing import Any, Dict, Iterator, List, Optional, Type

import rasa.core.actions.action as rasa_actions
import redis
from sqlalchemy.orm import sessionmaker
from jsonschema import ValidationError
from jsonschema.validators import validator_for
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import (ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME,
                                        SESSION_START_METADATA_SLOT)
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from actions.database import open_engine
from actions.privacy import install_log_masking, mask_in

logger = logging.getLogger(__name__)

install_log_masking()
rasa_actions.DEFAULT_REQUEST_TIMEOUT = int(os.environ.get("ACTION_TIMEOUT_SECONDS", "3"))


_RESPONSE_SPEC = rasa_actions.RemoteAction.action_response_format_spec()
_RESPONSE_VALIDATOR = validator_for(_RESPONSE_SPEC)(_RESPONSE_SPEC)


def _validate_action_result(self, result: Dict[str, Any]) -> bool:
    """Rasa's own check of an action server response, minus the per-call check of the schema."""
    try:
        _RESPONSE_VALIDATOR.validate(result)
    except ValidationError as e:
        e.message += (". Failed to validate Action server response from API, make sure your response from the "
                      "Action endpoint is valid.")
        raise e
    return True


rasa_actions.RemoteAction._validate_action_result = _validate_action_result

_resolve_event_type = Event.resolve_by_type
_event_types: Dict[str, Type[Event]] = {}


def _resolve_event_type_once(type_name: str, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    if type_name not in _event_types:
        found = _resolve_event_type(type_name, default)
        if found is None or found is default:
            return found
        _event_types[type_name] = found
    return _event_types[type_name]


Event.resolve_by_type = staticmethod(_resolve_event_type_once)


class MaskingSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store (SQLite or PostgreSQL), writing events with personal numbers masked.

    It also remembers how many of a loaded conversation's events are already stored, so
    that saving a turn does not count them again in the database (Rasa's store does, on
    every message; the conversation's lock guarantees nobody else wrote in between), and
    it keeps SQLite connections open, in WAL mode (actions.database.open_engine).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            self.engine.dispose()
            self.engine = open_engine(str(self.engine.url), future=False)  # Rasa's queries use the 1.x API
            self.sessionmaker = sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            setattr(tracker, _STORED_EVENTS, len(tracker.events))
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        stored = getattr(tracker, _STORED_EVENTS, None)
        if stored is None:  # a tracker not loaded by `retrieve`: ask the database
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            events = list(self._additional_events(session, tracker))
            for event in continued_session(tracker, SESSION_MAX_EVENTS):
                tracker.update(event)  # the conversation in memory stays the same as the stored one
                events.append(event)
            session.add_all(self._row(tracker.sender_id, event) for event in events)
            session.commit()
        setattr(tracker, _STORED_EVENTS, len(tracker.events))

    def _row(self, sender_id: str, event: Event) -> Any:
        """The stored form of one event, as Rasa's store writes it, with personal numbers masked."""
        data = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"), data=json.dumps(mask_in(data), ensure_ascii=False))


_STORED_EVENTS = "_zhengwu_stored_events"
SESSION_MAX_EVENTS = int(os.environ.get("SESSION_MAX_EVENTS", "100"))


def continued_session(tracker: DialogueStateTracker, max_events: int) -> List[Event]:
    """The events that start a new session carrying every slot, once the current one is long enough.

    Only between turns (the bot is listening) and outside forms, so nothing in flight is cut.
    """
    if max_events <= 0 or tracker.active_loop_name or tracker.latest_action_name != ACTION_LISTEN_NAME:
        return []
    in_session = 0
    for event in reversed(tracker.events):
        if isinstance(event, SessionStarted):
            break
        in_session += 1
    if in_session < max_events:
        return []
    slots = [SlotSet(name, slot.value) for name, slot in tracker.slots.items()
             if slot.value != slot.initial_value and name != SESSION_START_METADATA_SLOT]
    return [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(), *slots, ActionExecuted(ACTION_LISTEN_NAME)]


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis lock store, with ticket changes done under a Redis mutex (SET NX with expiry)."""

    def __init__(self, endpoint_config=None, **kwargs) -> None:
        """Rasa builds a custom lock store from its endpoint config (url, port, db, key_prefix…)."""
        if endpoint_config is not None:
            options = dict(endpoint_config.kwargs)
            for key in ("port", "db"):
                if key in options:
                    options[key] = int(options[key])
            kwargs = {"host": endpoint_config.url or "localhost", **options, **kwargs}
        super().__init__(**kwargs)

    def _mutex(self, conversation_id: str):
        return self.red.lock(f"{self.key_prefix}mutex:{conversation_id}", timeout=10, blocking_timeout=10)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            with self._mutex(conversation_id):
                return super().issue_ticket(conversation_id, lock_lifetime)
        except redis.exceptions.RedisError as exc:
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        try:
            with self._mutex(conversation_id):
                super().cleanup(conversation_id, ticket_number)
        except redis.exceptions.RedisError:
            logger.warning("could not release the lock of a conversation; it expires by itself")
