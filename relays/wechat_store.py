"""What the WeChat relay keeps across restarts: the messages already taken, and each citizen's
numbered choices.

WeChat calls again (up to three times) when an answer takes longer than 5 s; a message is taken
once, by its MsgId (or, for an event, its sender and time), even when the relay restarted in
between. The numbered choices are what "回复 1" presses. Its table lives in WECHAT_DB_URL (by
default the one var/zhengwu.db), through the persistence layer every store uses.
"""

from __future__ import annotations

import json
import time
from typing import List, Optional

import sqlalchemy as sa

from common import settings
from common.database import Database, Schema
from common.privacy import sender_key

KEEP_SECONDS = 2 * 86400  # WeChat's retries come within seconds; a day or two is plenty
_metadata = sa.MetaData()
taken = sa.Table(
    "wechat_taken",
    _metadata,
    sa.Column("message_key", sa.String(120), primary_key=True),
    sa.Column("at", sa.Float, nullable=False, index=True),
)
choices = sa.Table(
    "wechat_choices",
    _metadata,
    sa.Column("sender_key", sa.String(64), primary_key=True),  # salted hash, never the openid
    sa.Column("payloads", sa.Text, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)
SCHEMA = Schema("wechat", _metadata, ((taken, choices),))


class WeChatStore:
    def __init__(self, url: Optional[str] = None) -> None:
        self.db = Database(url or settings.wechat_db_url(), SCHEMA)

    def take(self, message_key: str) -> bool:
        """True the first time a message is seen; False for WeChat's retries of it."""
        now = time.time()
        try:
            with self.db.transaction() as conn:
                conn.execute(sa.insert(taken).values(message_key=message_key[:120], at=now))
                conn.execute(sa.delete(taken).where(taken.c.at < now - KEEP_SECONDS))
            return True
        except sa.exc.IntegrityError:
            return False

    def remember_choices(self, sender: str, payloads: List[str]) -> None:
        key, now = sender_key(sender), time.time()
        with self.db.transaction() as conn:
            conn.execute(sa.delete(choices).where(choices.c.sender_key == key))
            if payloads:
                conn.execute(sa.insert(choices).values(sender_key=key, payloads=json.dumps(payloads), at=now))

    def choices_of(self, sender: str) -> List[str]:
        rows = self.db.rows(sa.select(choices.c.payloads).where(choices.c.sender_key == sender_key(sender)))
        return json.loads(rows[0]["payloads"]) if rows else []

    def forget(self, sender: str) -> int:
        with self.db.transaction() as conn:
            return conn.execute(sa.delete(choices).where(choices.c.sender_key == sender_key(sender))).rowcount
