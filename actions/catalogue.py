"""The action server's view of the knowledge base, re-read when staff edit it."""

from __future__ import annotations

from common import settings
from knowledge_base import Catalogue, LiveCatalogue

_live = LiveCatalogue(settings.kb_dir(), imports=settings.kb_imports_dir())


def live_catalogue() -> LiveCatalogue:
    return _live


def catalogue() -> Catalogue:
    """The catalogue as it is on disk now (checked at most every two seconds)."""
    return _live.current()
