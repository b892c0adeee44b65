"""The conversation store every Rasa server uses: Rasa's SQL tracker store (SQLite or PostgreSQL), plus

- personal numbers masked in every stored event;
- a long conversation bounded: Rasa loads, replays, and posts to the action server every
  event of the current session on every message (RasaHQ/rasa#6334), so once a session holds
  SESSION_MAX_EVENTS events (default 100) and no form is in progress, the conversation goes
  on in a new session that carries every slot, exactly the events Rasa's own
  action_session_start writes. The citizen notices nothing;
- the number of a loaded conversation's events remembered, so saving a turn does not count
  them again in the database (Rasa's store does, on every message; the conversation's lock
  guarantees nobody else wrote in between);
- SQLite connections kept open, in WAL mode (common.database.open_engine);
- the citizen's erase request (删除我的记录, `action_delete_my_data`) honoured here too: once the
  action has run, every stored event of the conversation is deleted, so the next message starts
  a conversation nothing is remembered of.
"""

from __future__ import annotations

import itertools
import json
from typing import Any, Iterator, List, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME, SESSION_START_METADATA_SLOT
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from bot.rasa_runtime import startup
from common import settings
from common.database import open_engine
from common.privacy import mask_in

_STORED_EVENTS = "_zhengwu_stored_events"  # set on a tracker: how many of its events are stored
ERASE_ACTION = "action_delete_my_data"  # actions/erase_my_data.py: the other stores forget there


class MaskingSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store, with masked events and bounded sessions (see the module)."""

    engine: Engine

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        startup.install()  # the one point where every Rasa server of ours starts up (see startup.py)
        super().__init__(*args, **kwargs)
        self.max_events = settings.session_max_events()
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
            if any(isinstance(e, ActionExecuted) and e.action_name == ERASE_ACTION for e in events):
                session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == tracker.sender_id).delete()
                session.commit()
                setattr(tracker, _STORED_EVENTS, len(tracker.events))  # nothing of this turn is kept either
                return
            for event in continued_session(tracker, self.max_events):
                tracker.update(event)  # the conversation in memory stays the same as the stored one
                events.append(event)
            session.add_all(self._row(tracker.sender_id, event) for event in events)
            session.commit()
        setattr(tracker, _STORED_EVENTS, len(tracker.events))

    def _row(self, sender_id: str, event: Event) -> Any:
        """The stored form of one event, as Rasa's store writes it, with personal numbers masked."""
        data = event.as_dict()
        return self.SQLEvent(
            sender_id=sender_id,
            type_name=event.type_name,
            timestamp=data.get("timestamp"),
            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            action_name=data.get("name"),
            data=json.dumps(mask_in(data), ensure_ascii=False),
        )


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
    slots = [
        SlotSet(name, slot.value)
        for name, slot in tracker.slots.items()
        if slot.value != slot.initial_value and name != SESSION_START_METADATA_SLOT
    ]
    return [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(), *slots, ActionExecuted(ACTION_LISTEN_NAME)]
