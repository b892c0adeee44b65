"""Password hashes: Argon2id (argon2-cffi, the Password Hashing Competition's winner) with its defaults.

Only the hash is stored; a hash made with older parameters is upgraded at the next login.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
_HASHER = PasswordHasher()
# Checked against when the account does not exist, so an unknown name takes as long as a wrong password.
_DUMMY = _HASHER.hash("an account that does not exist")


class WeakPassword(ValueError):
    """A password the console refuses to set."""


def check_strength(password: str, username: str = "") -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"密码至少 {MIN_LENGTH} 个字符")
    if username and password.lower() == username.lower():
        raise WeakPassword("密码不能与用户名相同")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify(stored_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash or _DUMMY, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)
