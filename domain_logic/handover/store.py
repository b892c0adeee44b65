"""The human-help store (人工帮办): queue tickets, the messages both ways, callback tickets.

The action server queues a citizen, the channels carry the citizen's messages in and the
agent's replies out, the staff console lets an agent take a ticket: all three share this
store, so it lives in the base layer. A ticket's life:

    waiting ──take──▶ with_agent ──hand_back──▶ returned
       │ └──────────leave───────┴──▶ left
       └──expire_overdue──▶ timed_out

Every transition is one conditional UPDATE (… WHERE state = 'waiting'), so of two agents, or
of an agent and the timeout, exactly one wins. Texts are stored masked (mask_personal_data).
The conversation id is kept as it is, as Rasa's tracker store keeps it: the channel needs it
to deliver the agent's replies. A callback ticket keeps the number the citizen agreed to
leave, for the call; it is masked wherever it is shown (`Callback.masked_phone`).

SQLite in var/ by default; any SQLAlchemy URL (PostgreSQL for a cluster) through HANDOVER_DB_URL.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, fields
from typing import Any, Callable, Dict, List, Optional, Sequence, Type, TypeVar

import sqlalchemy as sa

from common import settings
from common.database import Database, Schema
from common.privacy import mask_in, mask_personal_data

WAITING, WITH_AGENT, RETURNED, TIMED_OUT, LEFT = "waiting", "with_agent", "returned", "timed_out", "left"
OPEN = (WAITING, WITH_AGENT)  # the channel routes the citizen's messages to the agent
ENDED = (RETURNED, TIMED_OUT)  # the channel still has to tell the citizen (announce)
CITIZEN, AGENT = "citizen", "agent"
CALLBACK_OPEN, CALLBACK_DONE = "open", "done"
ANSWER_TARGET_SECONDS = 60.0  # "answered within 60 s" on the dashboard
RECENT_WAITS = 20  # the usual wait is the median of this many recent ones
MAX_TEXT = 2000

_metadata = sa.MetaData()
tickets = sa.Table(
    "handover_tickets",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("sender_id", sa.String(200), nullable=False, index=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("state", sa.String(12), nullable=False, index=True),
    sa.Column("summary", sa.Text, nullable=False),  # JSON, masked: what the agent reads first
    sa.Column("resume_with", sa.String(200)),  # what the channel sends Rasa on handback
    sa.Column("agent", sa.String(80)),
    sa.Column("created_at", sa.Float, nullable=False, index=True),
    sa.Column("taken_at", sa.Float),
    sa.Column("first_reply_at", sa.Float),
    sa.Column("closed_at", sa.Float),
    sa.Column("announced_at", sa.Float),  # the channel has told the citizen of the end
)
messages = sa.Table(
    "handover_messages",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("handover_tickets.id"), nullable=False, index=True),
    sa.Column("author", sa.String(10), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("delivered_at", sa.Float),  # an agent's reply that reached the citizen
)
callbacks = sa.Table(
    "handover_callbacks",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("handover_tickets.id")),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("phone", sa.String(20), nullable=False),  # given with consent; shown masked
    sa.Column("reason", sa.String(20), nullable=False),  # timed_out | closed (outside staffed hours) | asked
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("state", sa.String(8), nullable=False, index=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("done_at", sa.Float),
    sa.Column("done_by", sa.String(80)),
    sa.Column("note", sa.Text),
)
SCHEMA = Schema("handover", _metadata, ((tickets, messages, callbacks),))


@dataclass(frozen=True)
class Ticket:
    id: int
    sender_id: str
    channel: str
    state: str
    summary: Dict[str, Any]
    resume_with: Optional[str]
    agent: Optional[str]
    created_at: float
    taken_at: Optional[float]
    first_reply_at: Optional[float]
    closed_at: Optional[float]
    announced_at: Optional[float]


@dataclass(frozen=True)
class Message:
    id: int
    ticket_id: int
    author: str
    text: str
    at: float
    delivered_at: Optional[float]


@dataclass(frozen=True)
class Callback:
    id: int
    ticket_id: Optional[int]
    channel: str
    phone: str
    reason: str
    summary: Dict[str, Any]
    state: str
    created_at: float
    done_at: Optional[float]
    done_by: Optional[str]
    note: Optional[str]

    @property
    def masked_phone(self) -> str:
        return mask_personal_data(self.phone)


@dataclass(frozen=True)
class Figures:
    """How fast citizens got a person: the dashboard's two handover figures."""

    queued: int  # tickets that joined the queue in the period
    counted: int  # of them, those the figures count (not left unanswered in time)
    answered_in_time: int  # of those, a first agent reply within ANSWER_TARGET_SECONDS
    median_first_reply: Optional[float]  # seconds from joining the queue to the first agent reply

    @property
    def share_in_time(self) -> Optional[float]:
        return self.answered_in_time / self.counted if self.counted else None


R = TypeVar("R", Ticket, Message, Callback)


def _record(kind: Type[R], row: Any) -> R:
    """A row as its dataclass: the columns carry the fields' names; a summary is stored as JSON."""
    m = row._mapping
    values = {f.name: m[f.name] for f in fields(kind)}
    if "summary" in values:
        values["summary"] = json.loads(values["summary"])
    return kind(**values)


def _ticket(row: Any) -> Ticket:
    return _record(Ticket, row)


def _message(row: Any) -> Message:
    return _record(Message, row)


def _callback(row: Any) -> Callback:
    return _record(Callback, row)


def _masked(text: str) -> str:
    return mask_personal_data(str(text or "").strip()[:MAX_TEXT])


class HandoverStore:
    """The queue, the conversations with agents, and the callback tickets."""

    def __init__(self, url: Optional[str] = None, clock: Callable[[], float] = time.time) -> None:
        self.db = Database(url or settings.handover_db_url(), SCHEMA)
        self.engine = self.db.engine
        self.clock = clock

    def _ready(self) -> sa.engine.Engine:
        """Tables are created on first use, so a process starts while the database is away.

        The channels call the store from several threads, and the action server, the channels and
        the console may all start at once: `migrate` makes that safe.
        """
        return self.db.ready()

    # ---- the queue ----------------------------------------------------------
    def queue(self, sender_id: str, channel: str, summary: Dict[str, Any], resume_with: Optional[str] = None) -> Ticket:
        """Put the citizen in the queue; one already there keeps their ticket (and place)."""
        already = self.open_ticket(sender_id)
        if already is not None:
            return already
        with self._ready().begin() as conn:
            ticket_id = conn.execute(
                sa.insert(tickets).values(
                    sender_id=sender_id,
                    channel=channel,
                    state=WAITING,
                    summary=json.dumps(mask_in(summary), ensure_ascii=False),
                    resume_with=resume_with,
                    created_at=self.clock(),
                )
            ).inserted_primary_key[0]
        return self._get(ticket_id)

    def get(self, ticket_id: int) -> Optional[Ticket]:
        with self._ready().connect() as conn:
            row = conn.execute(sa.select(tickets).where(tickets.c.id == ticket_id)).first()
        return _ticket(row) if row else None

    def _get(self, ticket_id: int) -> Ticket:
        ticket = self.get(ticket_id)
        assert ticket is not None  # just written
        return ticket

    def open_ticket(self, sender_id: str) -> Optional[Ticket]:
        """The citizen's ticket while a person is, or is about to be, involved."""
        return self._newest(sender_id, OPEN)

    def latest_ticket(self, sender_id: str) -> Optional[Ticket]:
        return self._newest(sender_id, None)

    def _newest(self, sender_id: str, states: Optional[Sequence[str]]) -> Optional[Ticket]:
        query = sa.select(tickets).where(tickets.c.sender_id == sender_id)
        if states:
            query = query.where(tickets.c.state.in_(states))
        with self._ready().connect() as conn:
            row = conn.execute(query.order_by(tickets.c.id.desc()).limit(1)).first()
        return _ticket(row) if row else None

    def tickets(self, states: Sequence[str], channel: Optional[str] = None) -> List[Ticket]:
        """Tickets in `states`, oldest first (the queue's order)."""
        query = sa.select(tickets).where(tickets.c.state.in_(states))
        if channel:
            query = query.where(tickets.c.channel == channel)
        with self._ready().connect() as conn:
            return [_ticket(r) for r in conn.execute(query.order_by(tickets.c.id))]

    def position(self, ticket: Ticket) -> int:
        """1 for the first in the queue."""
        with self._ready().connect() as conn:
            ahead = conn.execute(
                sa.select(sa.func.count())
                .select_from(tickets)
                .where((tickets.c.state == WAITING) & (tickets.c.id < ticket.id))
            ).scalar_one()
        return int(ahead) + 1

    def usual_wait_seconds(self) -> float:
        """The median wait of the last RECENT_WAITS citizens an agent took; the default without any."""
        query = (
            sa.select(tickets.c.taken_at - tickets.c.created_at)
            .where(tickets.c.taken_at.is_not(None))
            .order_by(tickets.c.taken_at.desc())
            .limit(RECENT_WAITS)
        )
        with self._ready().connect() as conn:
            waits = [float(w) for w in conn.execute(query).scalars()]
        return statistics.median(waits) if waits else settings.handover_default_wait_seconds()

    # ---- transitions -----------------------------------------------------------
    def _move(self, ticket_id: int, from_states: Sequence[str], **values: Any) -> bool:
        with self._ready().begin() as conn:
            return (
                conn.execute(
                    sa.update(tickets)
                    .where((tickets.c.id == ticket_id) & tickets.c.state.in_(from_states))
                    .values(**values)
                ).rowcount
                == 1
            )

    def take(self, ticket_id: int, agent: str) -> bool:
        """An agent takes a waiting citizen; False if someone else did, or the wait ended."""
        return self._move(ticket_id, (WAITING,), state=WITH_AGENT, agent=agent, taken_at=self.clock())

    def hand_back(self, ticket_id: int) -> bool:
        """The agent gives the citizen back to the assistant."""
        return self._move(ticket_id, (WITH_AGENT,), state=RETURNED, closed_at=self.clock())

    def leave(self, sender_id: str) -> Optional[Ticket]:
        """The citizen went away (the kiosk reset, /reset in Telegram): their open ticket is `left`."""
        ticket = self.open_ticket(sender_id)
        if ticket is None or not self._move(ticket.id, OPEN, state=LEFT, closed_at=self.clock()):
            return None
        return self.get(ticket.id)

    def forget(self, sender_id: str) -> int:
        """The citizen asked to be forgotten (删除我的记录): their tickets, what was said in them and
        the callbacks they asked for go. Returns how many tickets."""
        theirs = sa.select(tickets.c.id).where(tickets.c.sender_id == sender_id)
        with self._ready().begin() as conn:
            conn.execute(sa.delete(messages).where(messages.c.ticket_id.in_(theirs)))
            conn.execute(sa.delete(callbacks).where(callbacks.c.ticket_id.in_(theirs)))
            return conn.execute(sa.delete(tickets).where(tickets.c.sender_id == sender_id)).rowcount

    def expire_overdue(self, timeout_seconds: float, sender_id: Optional[str] = None) -> int:
        """Waiting tickets no agent took within `timeout_seconds` are `timed_out` (only `sender_id`'s, if given)."""
        now = self.clock()
        query = sa.update(tickets).where((tickets.c.state == WAITING) & (tickets.c.created_at <= now - timeout_seconds))
        if sender_id is not None:
            query = query.where(tickets.c.sender_id == sender_id)
        with self._ready().begin() as conn:
            return conn.execute(query.values(state=TIMED_OUT, closed_at=now)).rowcount

    def announce(self, ticket_id: int) -> bool:
        """Claim telling the citizen that the help ended (handed back or timed out): True once per ticket."""
        with self._ready().begin() as conn:
            return (
                conn.execute(
                    sa.update(tickets)
                    .where((tickets.c.id == ticket_id) & tickets.c.state.in_(ENDED) & tickets.c.announced_at.is_(None))
                    .values(announced_at=self.clock())
                ).rowcount
                == 1
            )

    def to_announce(self, sender_id: str) -> Optional[Ticket]:
        """The citizen's newest ticket if it ended and the citizen has not been told yet."""
        ticket = self.latest_ticket(sender_id)
        return ticket if ticket and ticket.state in ENDED and ticket.announced_at is None else None

    def watched(self, channel: str) -> List[Ticket]:
        """What a channel that pushes (Telegram) keeps an eye on: open tickets and ended ones not yet told."""
        query = sa.select(tickets).where(
            (tickets.c.channel == channel)
            & (tickets.c.state.in_(OPEN) | (tickets.c.state.in_(ENDED) & tickets.c.announced_at.is_(None)))
        )
        with self._ready().connect() as conn:
            return [_ticket(r) for r in conn.execute(query.order_by(tickets.c.id))]

    # ---- messages -------------------------------------------------------------
    def add_citizen_message(self, ticket_id: int, text: str) -> Message:
        return self._add_message(ticket_id, CITIZEN, text)

    def reply(self, ticket_id: int, text: str) -> Optional[Message]:
        """An agent's reply, while the ticket is with an agent; the first one is timed for the dashboard."""
        ticket = self.get(ticket_id)
        if ticket is None or ticket.state != WITH_AGENT or not str(text or "").strip():
            return None
        message = self._add_message(ticket_id, AGENT, text)
        with self._ready().begin() as conn:
            conn.execute(
                sa.update(tickets)
                .where((tickets.c.id == ticket_id) & tickets.c.first_reply_at.is_(None))
                .values(first_reply_at=message.at)
            )
        return message

    def _add_message(self, ticket_id: int, author: str, text: str) -> Message:
        with self._ready().begin() as conn:
            message_id = conn.execute(
                sa.insert(messages).values(ticket_id=ticket_id, author=author, text=_masked(text), at=self.clock())
            ).inserted_primary_key[0]
            row = conn.execute(sa.select(messages).where(messages.c.id == message_id)).one()
        return _message(row)

    def messages(self, ticket_id: int, after_id: int = 0) -> List[Message]:
        query = sa.select(messages).where((messages.c.ticket_id == ticket_id) & (messages.c.id > after_id))
        with self._ready().connect() as conn:
            return [_message(r) for r in conn.execute(query.order_by(messages.c.id))]

    def deliver(self, ticket_id: int) -> List[Message]:
        """The agent's replies not yet shown to the citizen, each claimed once (two pollers never both get one)."""
        pending = [m for m in self.messages(ticket_id) if m.author == AGENT and m.delivered_at is None]
        claimed = []
        with self._ready().begin() as conn:
            for m in pending:
                if (
                    conn.execute(
                        sa.update(messages)
                        .where((messages.c.id == m.id) & messages.c.delivered_at.is_(None))
                        .values(delivered_at=self.clock())
                    ).rowcount
                    == 1
                ):
                    claimed.append(m)
        return claimed

    # ---- callback tickets --------------------------------------------------------
    def add_callback(
        self, phone: str, channel: str, reason: str, summary: Dict[str, Any], ticket_id: Optional[int] = None
    ) -> Callback:
        with self._ready().begin() as conn:
            callback_id = conn.execute(
                sa.insert(callbacks).values(
                    ticket_id=ticket_id,
                    channel=channel,
                    phone=phone,
                    reason=reason,
                    summary=json.dumps(mask_in(summary), ensure_ascii=False),
                    state=CALLBACK_OPEN,
                    created_at=self.clock(),
                )
            ).inserted_primary_key[0]
        callback = self.callback(callback_id)
        assert callback is not None  # just written
        return callback

    def callback(self, callback_id: int) -> Optional[Callback]:
        with self._ready().connect() as conn:
            row = conn.execute(sa.select(callbacks).where(callbacks.c.id == callback_id)).first()
        return _callback(row) if row else None

    def callbacks(self, state: Optional[str] = None, limit: Optional[int] = None) -> List[Callback]:
        """Open ones oldest first (the order to call back in); done ones, or all, newest first."""
        query = sa.select(callbacks)
        if state:
            query = query.where(callbacks.c.state == state)
        query = query.order_by(callbacks.c.id if state == CALLBACK_OPEN else callbacks.c.id.desc()).limit(limit)
        with self._ready().connect() as conn:
            return [_callback(r) for r in conn.execute(query)]

    def close_callback(self, callback_id: int, by: str, note: str) -> bool:
        """Mark a callback done, with what came of it; False if it was done already."""
        with self._ready().begin() as conn:
            return (
                conn.execute(
                    sa.update(callbacks)
                    .where((callbacks.c.id == callback_id) & (callbacks.c.state == CALLBACK_OPEN))
                    .values(state=CALLBACK_DONE, done_at=self.clock(), done_by=by, note=_masked(note))
                ).rowcount
                == 1
            )

    # ---- the dashboard ------------------------------------------------------------
    def figures(self, since: float, until: float) -> Figures:
        """Time to the first agent reply and the share answered within ANSWER_TARGET_SECONDS,
        over the tickets that joined the queue in [since, until). A ticket counts once it is decided:
        answered in time, timed out, handed back, or unanswered for longer than the target. A citizen
        who left sooner, unanswered, is not counted against it; one still waiting is not counted yet."""
        with self._ready().connect() as conn:
            rows = conn.execute(
                sa.select(tickets.c.state, tickets.c.created_at, tickets.c.first_reply_at, tickets.c.closed_at).where(
                    (tickets.c.created_at >= since) & (tickets.c.created_at < until)
                )
            ).all()
        now = self.clock()
        replies, counted, in_time = [], 0, 0
        for state, created, first_reply, closed in rows:
            if first_reply is not None:
                replies.append(first_reply - created)
            answered = first_reply is not None and first_reply - created <= ANSWER_TARGET_SECONDS
            if answered or state in ENDED or (closed or now) - created >= ANSWER_TARGET_SECONDS:
                counted += 1
                in_time += answered
        return Figures(
            queued=len(rows),
            counted=counted,
            answered_in_time=in_time,
            median_first_reply=statistics.median(replies) if replies else None,
        )
