"""What every page reaches through its request: the configuration, the stores, who is signed in.

Kept apart from app.py so that pages import this, and app.py imports the pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, List, Optional, Tuple

from aiohttp import web

from common import settings
from domain_logic.handover.store import HandoverStore
from domain_logic.staff.accounts import Account, AccountStore
from domain_logic.staff.database import StaffDatabase
from domain_logic.staff.drafts import DraftStore
from domain_logic.staff.sessions import Session, SessionStore
from domain_logic.staff.throttle import Limits, LoginThrottle
from domain_logic.inbox.store import InboxStore
from domain_logic.feedback.store import FeedbackStore
from knowledge_base import LiveCatalogue


@dataclass(frozen=True)
class ConsoleConfig:
    """Everything the console reads from settings, so a test can build one by hand."""

    staff_db_url: str
    feedback_db_url: str
    kb_dir: Path
    rasa_url: str
    actions_url: str
    idle: timedelta = timedelta(minutes=30)
    limits: Limits = Limits(5, 20, 15)
    stale_days: int = 180
    secure_cookie: bool = False
    nlu_file: Path = settings.ROOT / "nlu_data" / "nlu" / "from_inbox.yml"  # inbox → training examples
    clock: Callable[[], datetime] = field(default=datetime.now)
    handover_db_url: Optional[str] = None  # the human-help store; None: HANDOVER_DB_URL
    handover_timeout_seconds: float = 60.0
    handover_timezone: str = "Asia/Shanghai"
    imports_dir: Optional[Path] = None  # a region's imported catalogue (导入); None: settings.kb_imports_dir()

    @classmethod
    def from_settings(cls) -> "ConsoleConfig":
        return cls(
            staff_db_url=settings.staff_db_url(),
            feedback_db_url=settings.database_url(),
            kb_dir=settings.kb_dir(),
            rasa_url=settings.rasa_url(),
            actions_url=settings.actions_url(),
            idle=timedelta(minutes=settings.console_idle_minutes()),
            limits=Limits.from_settings(),
            stale_days=settings.kb_stale_days(),
            secure_cookie=settings.console_secure_cookie(),
            handover_db_url=settings.handover_db_url(),
            handover_timeout_seconds=settings.handover_timeout_seconds(),
            handover_timezone=settings.handover_timezone(),
            imports_dir=settings.kb_imports_dir(),
        )


@dataclass(frozen=True)
class NavLink:
    label: str
    path: str
    roles: frozenset


@dataclass
class Services:
    """The stores, built once per app."""

    config: ConsoleConfig
    db: StaffDatabase
    accounts: AccountStore
    sessions: SessionStore
    drafts: DraftStore
    nav: List[NavLink] = field(default_factory=list)
    _catalogue: Optional[LiveCatalogue] = None
    _feedback: Optional[FeedbackStore] = None
    _inbox: Optional[InboxStore] = None
    _handover: Optional[HandoverStore] = None

    @classmethod
    def build(cls, config: ConsoleConfig) -> "Services":
        db = StaffDatabase(config.staff_db_url)
        return cls(
            config,
            db,
            AccountStore(db, LoginThrottle(db, config.limits)),
            SessionStore(db, config.idle),
            DraftStore(db),
        )

    @property
    def catalogue(self) -> LiveCatalogue:
        """The knowledge base as the bot serves it, re-read when a file changes (loaded on first use)."""
        if self._catalogue is None:
            self._catalogue = LiveCatalogue(self.config.kb_dir, check_interval=0.5)
        return self._catalogue

    @property
    def feedback(self) -> FeedbackStore:
        """好差评: the ratings and 差评 cases (the feedback database the action server writes)."""
        if self._feedback is None:
            self._feedback = FeedbackStore(self.config.feedback_db_url)
        return self._feedback

    @property
    def inbox(self) -> InboxStore:
        """The unanswered questions (same database)."""
        if self._inbox is None:
            self._inbox = InboxStore(self.config.feedback_db_url)
        return self._inbox

    @property
    def handover(self) -> HandoverStore:
        """The human-help store the action server and the channels share (opened on first use)."""
        if self._handover is None:
            self._handover = HandoverStore(self.config.handover_db_url)
        return self._handover

    def close(self) -> None:
        for store in (self.db, self._feedback, self._inbox, self._handover):
            if store is not None:
                store.engine.dispose()

    def nav_for(self, account: Optional[Account]) -> List[Tuple[str, str]]:
        if account is None:
            return []
        return [(n.label, n.path) for n in self.nav if account.may(*n.roles)]


SERVICES = web.AppKey("services", Services)
SESSION, ACCOUNT = "console_session", "console_account"  # request keys, set by console/sessions.py


def services(request: web.Request) -> Services:
    return request.app[SERVICES]


def now(request: web.Request) -> datetime:
    return request.app[SERVICES].config.clock()


def current_session(request: web.Request) -> Optional[Session]:
    return request.get(SESSION)


def current_account(request: web.Request) -> Optional[Account]:
    return request.get(ACCOUNT)


def signed_in(request: web.Request) -> Account:
    """The account of a page that requires one (routes.requires has checked it)."""
    account = request.get(ACCOUNT)
    assert account is not None, "a page behind requires() always has an account"
    return account
