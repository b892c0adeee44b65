"""扫码带走: the link where a citizen's phone opens a sheet, for the checklist's end and for any guide
read at the kiosk. The page is stored whole; the link is a random token and nothing else."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from functools import lru_cache
from typing import Any, Dict, Optional, Tuple

from rasa_sdk import Tracker

from common import settings
from domain_logic.checklist.sheet import build_guide_sheet, to_html_page
from domain_logic.sheet_links.store import SheetLinks
from knowledge_base.catalogue import Entry

KIOSK = "kiosk"  # the one channel with a screen to show a QR code on
REUSE_SECONDS = 3600  # one screen asking about one guide again gets the same link (a kiosk visit is minutes)
_given: "OrderedDict[Tuple[str, str], Tuple[float, str]]" = OrderedDict()  # (sender, page hash) → (when, link)
_REMEMBERED = 10_000


@lru_cache(maxsize=None)
def sheet_links() -> SheetLinks:
    """Opened on first use, so importing the action server needs no database."""
    return SheetLinks()


def sheet_link(title: str, page: str) -> Optional[str]:
    """The link where the citizen's phone opens this sheet, or None while its store is away:
    the reply itself still comes, only the link is missing."""
    try:
        return f"{settings.public_url()}/sheet/{sheet_links().create(title, page)}"
    except Exception:  # noqa: BLE001 - the link is an extra; the reply must not fail for it
        logging.getLogger(__name__).warning("could not make the sheet's link", exc_info=True)
        return None


def guide_take_away(entry: Entry, tracker: Tracker) -> Optional[Dict[str, Any]]:
    """For a guide answered at the kiosk: its materials, place, hours and fees at a link of their own
    (a chat keeps its messages; only a shared screen forgets them)."""
    if tracker.get_latest_input_channel() != KIOSK:
        return None
    sheet = build_guide_sheet(entry)
    page = to_html_page(sheet)
    key = (tracker.sender_id, hashlib.sha256(page.encode("utf-8")).hexdigest())
    when, link = _given.get(key, (0.0, ""))
    if time.time() - when > REUSE_SECONDS:  # a new screen, a changed guide, or an hour later: a new link
        link = sheet_link(sheet.title, page) or ""
        if link:
            _given[key] = (time.time(), link)
            while len(_given) > _REMEMBERED:
                _given.popitem(last=False)
    return {"take_away": {"title": sheet.title, "link": link}} if link else None
