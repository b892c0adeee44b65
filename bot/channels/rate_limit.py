"""Per-sender rate limits for the public channels: one citizen (or script) cannot flood the assistant."""
from __future__ import annotations

import time
from collections import deque
from typing import Deque, Dict

from common import settings

TOO_FAST = "您发送得太频繁了，请稍等片刻再试。"


class SenderRateLimiter:
    """At most `limit` messages per sender in any `window` seconds (a sliding window)."""

    def __init__(self, limit: int = 0, window: float = 60.0) -> None:
        self.limit = limit or settings.rate_limit_per_minute()
        self.window = window
        self._seen: Dict[str, Deque[float]] = {}

    def allow(self, sender: str) -> bool:
        now = time.monotonic()
        times = self._seen.setdefault(sender, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        if len(self._seen) > 50_000:  # forget idle senders now and then
            self._seen = {s: t for s, t in self._seen.items() if t and now - t[-1] <= self.window}
        return True
