"""A durable local queue for writes the shared database could not take right now.

When PostgreSQL is unreachable for a moment, a rating or a checklist step is kept
in a SQLite file on the action server's own disk (by default the one `var/zhengwu.db`) under its key (a
rating's idempotency key; a checklist's citizen and item), and written to the
database as soon as it answers again: nothing is lost, and the key makes sure
nothing is written twice.

A payload is kept encrypted (Fernet: AES-128-CBC with an HMAC), since a rating may carry a
consenting citizen's callback number. The key is not in the spool file: SPOOL_KEY, else a
random key in var/.spool_key (mode 0600). A payload the key cannot open (the key was
changed) stays in the spool, with a warning, until the old key is back.
"""

from __future__ import annotations

import json
import logging
import time
from functools import lru_cache
from typing import Any, Callable, Dict, List, Optional, Tuple, Type, Union

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from common import settings
from common.database import Database, Schema
from common.local_secret import local_secret

logger = logging.getLogger(__name__)

_metadata = sa.MetaData()
pending = sa.Table(
    "spool_pending",
    _metadata,
    sa.Column("kind", sa.String(20), primary_key=True),
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)
SCHEMA = Schema("spool", _metadata, ((pending,),))


KEY_FILE = settings.VAR_DIR / ".spool_key"


def spool_key() -> str:
    """SPOOL_KEY, else the key in var/.spool_key (made on first use)."""
    return settings.spool_key() or local_secret(KEY_FILE, lambda: Fernet.generate_key().decode())


class Spool:
    def __init__(self, url: Optional[str] = None, key: Optional[str] = None) -> None:
        self.engine = Database(url or settings.spool_db_url(), SCHEMA).ready()
        try:
            self._fernet = Fernet(key or spool_key())
        except ValueError as exc:
            raise ValueError(
                "SPOOL_KEY（或 var/.spool_key）不是有效的 Fernet 密钥 / is not a Fernet key: "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
            ) from exc

    def _seal(self, payload: Dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(payload, ensure_ascii=False).encode()).decode()

    def _open(self, kind: str, sealed: str) -> Optional[Dict[str, Any]]:
        """The payload, or None (with a warning) if this key cannot open it."""
        try:
            return json.loads(self._fernet.decrypt(sealed.encode()))
        except InvalidToken:
            if sealed.startswith("{"):  # kept before the spool was encrypted
                return json.loads(sealed)
            logger.warning("spool: a %s write cannot be opened with this SPOOL_KEY; it stays in the spool", kind)
            return None

    def put(self, kind: str, key: str, payload: Dict[str, Any]) -> None:
        """Keep one write; the same key again replaces it (a retried request)."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(pending).where((pending.c.kind == kind) & (pending.c.key == key)))
            conn.execute(sa.insert(pending).values(kind=kind, key=key, payload=self._seal(payload), at=time.time()))

    def waiting(self, kind: str, key_prefix: str = "") -> List[Tuple[str, Dict[str, Any]]]:
        """What waits, oldest first; only keys starting with `key_prefix`, if given."""
        query = sa.select(pending.c.key, pending.c.payload).where(
            (pending.c.kind == kind) & pending.c.key.startswith(key_prefix, autoescape=True)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(pending.c.at)).all()
        opened = ((key, self._open(kind, sealed)) for key, sealed in rows)
        return [(key, payload) for key, payload in opened if payload is not None]

    def forget(self, kind: str, key_prefix: str) -> int:
        """Drop what waits under keys starting with `key_prefix` (a citizen asked to be forgotten)."""
        with self.engine.begin() as conn:
            return conn.execute(
                sa.delete(pending).where(
                    (pending.c.kind == kind) & pending.c.key.startswith(key_prefix, autoescape=True)
                )
            ).rowcount

    def drain(
        self,
        kind: str,
        write: Callable[[Dict[str, Any]], Any],
        unavailable: Union[Type[Exception], Tuple[Type[Exception], ...]],
    ) -> int:
        """Write what waits, oldest first; stop at the first failure. Returns how many went through."""
        done = 0
        for key, payload in self.waiting(kind):
            try:
                write(payload)
            except unavailable:
                break
            with self.engine.begin() as conn:
                conn.execute(sa.delete(pending).where((pending.c.kind == kind) & (pending.c.key == key)))
            done += 1
        if done:
            logger.info("spool: %d %s write(s) reached the database", done, kind)
        return done


@lru_cache(maxsize=None)
def local_spool() -> Spool:
    """The action server's one spool, opened on first use."""
    return Spool()
