"""Login throttling: too many failed logins lock the account, and too many from one address lock the address.

Counted from the staff database, so a restart does not forget and two console processes agree.
An account's count starts again after its last successful login; an address's does not (an
attacker with one valid account could otherwise reset it between guesses at others). The
address limit is higher than the account's: several staff may share one office address.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import sqlalchemy as sa

from common import settings
from domain_logic.staff.database import StaffDatabase, login_attempts


@dataclass(frozen=True)
class Limits:
    account_failures: int
    address_failures: int
    minutes: int

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(
            settings.console_lockout_failures(), settings.console_address_failures(), settings.console_lockout_minutes()
        )


class LoginThrottle:
    def __init__(self, db: StaffDatabase, limits: Optional[Limits] = None) -> None:
        self.db = db
        self.limits = limits or Limits.from_settings()

    def record(self, username: str, address: str, success: bool, now: datetime) -> None:
        with self.db.ready().begin() as conn:
            conn.execute(
                sa.insert(login_attempts).values(
                    username=username.strip().lower()[:60], address=address[:60], success=success, at=now
                )
            )

    def locked_until(self, username: str, address: str, now: datetime) -> Optional[datetime]:
        """When the lock on this account or address ends, or None if neither is locked.

        Locked: the last N failures fell within the lock's minutes of each other, and the last
        of them was less than that long ago. Attempts while locked are refused unchecked and
        not recorded, so the lock ends on time.
        """
        span = timedelta(minutes=self.limits.minutes)
        t = login_attempts.c
        name = username.strip().lower()[:60]
        with self.db.ready().connect() as conn:
            last_success = conn.execute(sa.select(sa.func.max(t.at)).where(t.username == name, t.success)).scalar()
            since = max(now - 2 * span, last_success) if last_success else now - 2 * span
            by_account = (
                conn.execute(sa.select(t.at).where(t.username == name, ~t.success, t.at > since).order_by(t.at.desc()))
                .scalars()
                .all()
            )
            by_address = (
                conn.execute(
                    sa.select(t.at)
                    .where(t.address == address[:60], ~t.success, t.at > now - 2 * span)
                    .order_by(t.at.desc())
                )
                .scalars()
                .all()
            )
        ends = [
            failures[0] + span
            for failures, limit in (
                (by_account, self.limits.account_failures),
                (by_address, self.limits.address_failures),
            )
            if len(failures) >= limit and failures[0] - failures[limit - 1] <= span and failures[0] + span > now
        ]
        return max(ends) if ends else None
