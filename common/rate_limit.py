"""Rate limits for the public channels: one citizen (or script, or address) cannot flood the assistant."""

from __future__ import annotations

import time
from collections import deque
from typing import Deque, Dict

from common import settings

TOO_FAST = "您发送得太频繁了，请稍等片刻再试。"


class SenderRateLimiter:
    """At most `limit` messages per key (a sender, an address) in any `window` seconds (a sliding window)."""

    def __init__(self, limit: int = 0, window: float = 60.0) -> None:
        self.limit = limit or settings.rate_limit_per_minute()
        self.window = window
        self._seen: Dict[str, Deque[float]] = {}

    def retry_after(self, key: str) -> float:
        """0 if `key` may send now (and this message counts), else the seconds until it may."""
        now = time.monotonic()
        times = self._seen.setdefault(key, deque())
        while times and now - times[0] > self.window:
            times.popleft()
        if len(times) >= self.limit:
            return max(self.window - (now - times[0]), 0.001)
        times.append(now)
        if len(self._seen) > 50_000:  # forget idle keys now and then
            self._seen = {k: t for k, t in self._seen.items() if t and now - t[-1] <= self.window}
        return 0.0

    def allow(self, key: str) -> bool:
        return self.retry_after(key) == 0.0
