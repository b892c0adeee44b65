"""The staff database: its tables, its migrations, one engine per store.

Created and migrated here, with a version table, the way the feedback store does it.
"""

from __future__ import annotations

from typing import Optional

import sqlalchemy as sa

from common import settings
from common.database import Database, Schema

metadata = sa.MetaData()
accounts = sa.Table(
    "staff_accounts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(60), nullable=False, unique=True),
    sa.Column("display_name", sa.String(60), nullable=False),  # what the audit trail records (张三)
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("password_changed_at", sa.DateTime, nullable=False),
)
account_roles = sa.Table(
    "staff_account_roles",
    metadata,
    sa.Column("account_id", sa.Integer, sa.ForeignKey("staff_accounts.id"), primary_key=True),
    sa.Column("role", sa.String(20), primary_key=True),
)
login_attempts = sa.Table(
    "staff_login_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(60), nullable=False, index=True),  # as typed: unknown names count too
    sa.Column("address", sa.String(60), nullable=False, index=True),
    sa.Column("success", sa.Boolean, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False, index=True),
)
sessions = sa.Table(
    "staff_sessions",
    metadata,
    # sha256 of the cookie's id: a copy of the table opens no session
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("account_id", sa.Integer, sa.ForeignKey("staff_accounts.id")),  # None: not signed in yet (the login form)
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("flash", sa.Text),  # a message for the next page, shown once
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_seen", sa.DateTime, nullable=False, index=True),
)
drafts = sa.Table(
    "staff_drafts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("entry_id", sa.String(80), nullable=False, index=True),
    sa.Column("author_id", sa.Integer, sa.ForeignKey("staff_accounts.id"), nullable=False),
    sa.Column("author", sa.String(60), nullable=False),
    sa.Column("changes", sa.Text, nullable=False),  # JSON: [{field, before, after}], against the published file
    sa.Column("note", sa.Text),
    sa.Column("status", sa.String(12), nullable=False, index=True),  # 草稿 | 已发布 | 已退回 | 已撤回
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("decided_by", sa.String(60)),
    sa.Column("decided_at", sa.DateTime),
    sa.Column("decision_note", sa.Text),
)

# Each migration takes the schema from version N-1 to N. Append, never edit.
SCHEMA = Schema("staff", metadata, ((accounts, account_roles, login_attempts, sessions, drafts),))


class StaffDatabase:
    """The staff database (STAFF_DB_URL); every store over it migrates it on first use."""

    def __init__(self, url: Optional[str] = None) -> None:
        self.db = Database(url or settings.staff_db_url(), SCHEMA)
        self.engine = self.db.engine

    def migrate(self) -> int:
        """Bring the schema to its last step; returns the version it was at."""
        return self.db.migrate()

    def ready(self) -> sa.engine.Engine:
        """The engine, with the schema migrated."""
        return self.db.ready()
