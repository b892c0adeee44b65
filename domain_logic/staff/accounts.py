"""Staff accounts and their roles; signing in with throttling.

Roles are what a person may do in the console; one person may hold several. Nothing is
implied: an 管理员 manages accounts and is not thereby an 审核.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, FrozenSet, Iterable, List, Optional

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from domain_logic.staff import passwords
from domain_logic.staff.database import StaffDatabase, account_roles, accounts, sessions
from domain_logic.staff.throttle import LoginThrottle

ROLES: Dict[str, str] = {
    "admin": "管理员",  # accounts
    "editor": "编辑",  # edits knowledge-base entries (drafts)
    "reviewer": "审核",  # publishes others' drafts, marks entries reviewed
    "agent": "坐席",  # human help
    "analyst": "分析",  # 好差评 reports
}
USERNAME = re.compile(r"^[A-Za-z0-9_.-]{2,40}$")


@dataclass(frozen=True)
class Account:
    id: int
    username: str
    display_name: str
    roles: FrozenSet[str]
    disabled: bool
    created_at: datetime

    def may(self, *roles: str) -> bool:
        """Holds at least one of `roles`."""
        return bool(self.roles & set(roles))

    @property
    def role_names(self) -> str:
        return "、".join(ROLES[r] for r in ROLES if r in self.roles) or "（无）"


class AccountError(ValueError):
    """A change to accounts the console refuses, said in one line for the admin."""


@dataclass(frozen=True)
class SignIn:
    """The outcome of a login: the account, or why not (and until when, if locked)."""

    account: Optional[Account] = None
    locked_until: Optional[datetime] = None


class AccountStore:
    def __init__(self, db: StaffDatabase, throttle: Optional[LoginThrottle] = None) -> None:
        self.db = db
        self.throttle = throttle or LoginThrottle(db)

    # ---- reading ----------------------------------------------------------
    def _accounts(self, where=None) -> List[Account]:
        query = sa.select(accounts).order_by(accounts.c.username)
        if where is not None:
            query = query.where(where)
        with self.db.ready().connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(query)]
            roles: Dict[int, set] = {}
            for account_id, role in conn.execute(sa.select(account_roles.c.account_id, account_roles.c.role)):
                roles.setdefault(account_id, set()).add(role)
        return [
            Account(
                r["id"],
                r["username"],
                r["display_name"],
                frozenset(roles.get(r["id"], ())),
                bool(r["disabled"]),
                r["created_at"],
            )
            for r in rows
        ]

    def all(self) -> List[Account]:
        return self._accounts()

    def get(self, account_id: int) -> Optional[Account]:
        found = self._accounts(accounts.c.id == account_id)
        return found[0] if found else None

    def by_username(self, username: str) -> Optional[Account]:
        found = self._accounts(accounts.c.username == username.strip().lower())
        return found[0] if found else None

    def any_exist(self) -> bool:
        with self.db.ready().connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(accounts)).scalar() > 0

    # ---- changing ---------------------------------------------------------
    def create(
        self, username: str, display_name: str, password: str, roles: Iterable[str], now: Optional[datetime] = None
    ) -> Account:
        username, display_name = username.strip().lower(), display_name.strip()
        roles = set(roles)
        if not USERNAME.match(username):
            raise AccountError("用户名只能用 2–40 个英文字母、数字或 _ . -")
        if not display_name or len(display_name) > 60:
            raise AccountError("请填写姓名（记录在修改留痕里）")
        unknown = roles - set(ROLES)
        if unknown:
            raise AccountError(f"没有这些角色：{'、'.join(sorted(unknown))}")
        if not roles:
            raise AccountError("至少选择一个角色")
        try:
            passwords.check_strength(password, username)
        except passwords.WeakPassword as exc:
            raise AccountError(str(exc))
        now = now or datetime.now()
        try:
            with self.db.ready().begin() as conn:
                account_id = conn.execute(
                    sa.insert(accounts).values(
                        username=username,
                        display_name=display_name,
                        password_hash=passwords.hash_password(password),
                        disabled=False,
                        created_at=now,
                        password_changed_at=now,
                    )
                ).inserted_primary_key[0]
                for role in sorted(roles):
                    conn.execute(sa.insert(account_roles).values(account_id=account_id, role=role))
        except IntegrityError:
            raise AccountError(f"用户名 {username} 已经存在")
        account = self.get(account_id)
        assert account is not None
        return account

    def set_roles(self, account_id: int, roles: Iterable[str]) -> None:
        roles = set(roles)
        if roles - set(ROLES):
            raise AccountError("没有这个角色")
        if not roles:
            raise AccountError("至少选择一个角色")
        with self.db.ready().begin() as conn:
            conn.execute(sa.delete(account_roles).where(account_roles.c.account_id == account_id))
            for role in sorted(roles):
                conn.execute(sa.insert(account_roles).values(account_id=account_id, role=role))

    def reset_password(self, account_id: int, password: str, now: Optional[datetime] = None) -> None:
        """A new password; the account's sessions end (whoever was signed in must sign in again)."""
        account = self.get(account_id)
        if account is None:
            raise AccountError("没有这个账号")
        try:
            passwords.check_strength(password, account.username)
        except passwords.WeakPassword as exc:
            raise AccountError(str(exc))
        with self.db.ready().begin() as conn:
            conn.execute(
                sa.update(accounts)
                .where(accounts.c.id == account_id)
                .values(password_hash=passwords.hash_password(password), password_changed_at=now or datetime.now())
            )
            conn.execute(sa.delete(sessions).where(sessions.c.account_id == account_id))

    def change_own_password(
        self, account_id: int, current: str, new: str, address: str, now: Optional[datetime] = None
    ) -> None:
        """The signed-in staff member's own change. The current password is asked again (a console left
        signed in is not enough), and a wrong one counts towards the lockout like a failed login."""
        now = now or datetime.now()
        account = self.get(account_id)
        if account is None:
            raise AccountError("没有这个账号")
        if self.throttle.locked_until(account.username, address, now):
            raise AccountError("尝试次数过多，已暂时锁定，请稍后再试")
        if self._password_matches(account.username, current, address, now) is None:
            raise AccountError("当前密码不正确")
        if new == current:
            raise AccountError("新密码不能与当前密码相同")
        self.reset_password(account_id, new, now)

    def set_disabled(self, account_id: int, disabled: bool) -> None:
        """A disabled account cannot sign in, and its sessions end at once."""
        with self.db.ready().begin() as conn:
            conn.execute(sa.update(accounts).where(accounts.c.id == account_id).values(disabled=disabled))
            if disabled:
                conn.execute(sa.delete(sessions).where(sessions.c.account_id == account_id))

    # ---- signing in -------------------------------------------------------
    def sign_in(self, username: str, password: str, address: str, now: Optional[datetime] = None) -> SignIn:
        """Check a login. A locked account or address is refused without checking the password;
        an unknown name, a disabled account and a wrong password look the same to the caller."""
        now = now or datetime.now()
        locked = self.throttle.locked_until(username, address, now)
        if locked:
            return SignIn(locked_until=locked)
        row = self._password_matches(username, password, address, now)
        if row is None:
            return SignIn(locked_until=self.throttle.locked_until(username, address, now))
        if passwords.needs_rehash(row.password_hash):
            with self.db.ready().begin() as conn:
                conn.execute(
                    sa.update(accounts)
                    .where(accounts.c.id == row.id)
                    .values(password_hash=passwords.hash_password(password))
                )
        return SignIn(account=self.get(row.id))

    def _password_matches(self, username: str, password: str, address: str, now: datetime) -> Optional[Any]:
        """The account's row if `password` is its password and it is not disabled, else None. Every
        check is recorded for the lockout, whether it signs in or confirms a password change."""
        name = username.strip().lower()
        with self.db.ready().connect() as conn:
            row = conn.execute(
                sa.select(accounts.c.id, accounts.c.password_hash, accounts.c.disabled).where(
                    accounts.c.username == name
                )
            ).first()
        ok = passwords.verify(row.password_hash if row else None, password)
        ok = ok and row is not None and not row.disabled
        self.throttle.record(name, address, ok, now)
        return row if ok else None
