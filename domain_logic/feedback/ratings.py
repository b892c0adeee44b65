"""A rating is never lost: written to the feedback store, or kept in the local spool while the store
is away, and written from there in order once it answers. The same way the checklist store keeps its
steps (domain_logic/checklist/store.py).

The rating form (actions/feedback_flow.py), the action server's drain loop and the citizen's erase
request (删除我的记录) all go through `SpooledRatings`.
"""

from __future__ import annotations

import logging
import re
from typing import Callable, Optional

from common.database import StoreUnavailable
from common.privacy import sender_key
from common.spool import Spool
from domain_logic.feedback.store import RATINGS, FeedbackStore

SPOOL_KIND = "rating"
_WORDS = sorted(((word, score) for score, word in RATINGS.items()), key=lambda p: -len(p[0]))


def read_rating(text: str) -> Optional[int]:
    """非常满意 / 5 / 5分 / 不满意 … → 1–5 (longest word first: 不满意 is not 满意)."""
    said = str(text or "").strip()
    for word, score in _WORDS:
        if word in said:
            return score
    digits = re.findall(r"[1-5]", said)
    return int(digits[0]) if len(digits) == 1 else None


def spooled_key(sender_id: str, idempotency_key: str) -> str:
    """A spooled rating's key begins with its sender's hash, so that the citizen's erase request
    finds it without opening every payload."""
    return f"{sender_key(sender_id)}|{idempotency_key}"


class SpooledRatings:
    """`spool` opens the local spool when first needed: a broken disk must not keep a rating from a
    database that answers, nor turn into anything but StoreUnavailable."""

    def __init__(self, store: FeedbackStore, spool: Callable[[], Spool]) -> None:
        self.store, self.spool = store, spool

    def save(self, rating: dict) -> bool:
        """Into the database (True), or, while it is unreachable, into the local spool (False).

        Whatever waits in the spool goes first, so ratings keep their order; the idempotency key
        makes a retried write count once. StoreUnavailable only when neither can take it.
        """
        try:
            self.drain()
        except Exception:  # noqa: BLE001 - a broken spool must not block a rating the database can take
            logging.getLogger(__name__).warning("could not drain the rating spool", exc_info=True)
        try:
            self.store.add_rating(**rating)
            return True
        except StoreUnavailable:
            try:
                self.spool().put(SPOOL_KIND, spooled_key(rating["sender_id"], rating["idempotency_key"]), rating)
            except Exception as exc:  # noqa: BLE001 - the local disk failed too
                raise StoreUnavailable(str(exc)) from exc
            return False

    def drain(self) -> int:
        """Write the ratings waiting in the spool, if the database answers now."""
        return self.spool().drain(SPOOL_KIND, lambda r: self.store.add_rating(**r), StoreUnavailable)

    def forget(self, sender_id: str) -> int:
        """The citizen's erase request: their stored ratings anonymised, their spooled ones dropped."""
        return self.store.forget(sender_id) + self.spool().forget(SPOOL_KIND, f"{sender_key(sender_id)}|")
