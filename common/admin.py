"""The shared secret that guards Rasa's HTTP API and lets `kb reload` ask the servers to re-read the knowledge base.

`KB_ADMIN_TOKEN` in the environment, else a random token kept in var/.admin_token
(created on first use, readable only by its owner).
"""
from __future__ import annotations

import hmac
import os
import secrets
from typing import Optional

from common import settings

TOKEN_FILE = settings.VAR_DIR / ".admin_token"


def admin_token() -> str:
    token = settings.kb_admin_token()
    if token:
        return token
    if TOKEN_FILE.exists():
        return TOKEN_FILE.read_text(encoding="utf-8").strip()
    TOKEN_FILE.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    try:
        fd = os.open(TOKEN_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another server made it a moment ago
        return TOKEN_FILE.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(token)
    return token


def authorised(header: Optional[str]) -> bool:
    """True for `Authorization: Bearer <token>` with the right token."""
    if not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer "):].strip(), admin_token())
