"""The shared secret that guards Rasa's HTTP API and lets `kb reload` ask the servers to re-read the knowledge base.

`KB_ADMIN_TOKEN` in the environment, else a random token kept in var/.admin_token
(created on first use, readable only by its owner).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Optional

from common import settings
from common.local_secret import local_secret

TOKEN_FILE = settings.VAR_DIR / ".admin_token"


def admin_token() -> str:
    return settings.kb_admin_token() or local_secret(TOKEN_FILE, lambda: secrets.token_urlsafe(32))


def authorised(header: Optional[str]) -> bool:
    """True for `Authorization: Bearer <token>` with the right token."""
    if not header or not header.startswith("Bearer "):
        return False
    return hmac.compare_digest(header[len("Bearer ") :].strip(), admin_token())
