"""The action server's view of the knowledge base, re-read when staff edit it."""
from __future__ import annotations

import os
from pathlib import Path

from knowledge_base import KNOWLEDGE_BASE_DIR, Catalogue, LiveCatalogue

_live = LiveCatalogue(Path(os.environ.get("KB_DIR") or KNOWLEDGE_BASE_DIR))


def live_catalogue() -> LiveCatalogue:
    return _live


def catalogue() -> Catalogue:
    """The catalogue as it is on disk now (checked at most every two seconds)."""
    return _live.current()
