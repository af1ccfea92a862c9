"""A small in-process sliding-window rate limiter (per server process)."""

from __future__ import annotations

import time
from collections import deque

from events_app.errors import RateLimited
from events_app.settings import RateLimit


class RateLimiter:
    def __init__(self, limit: RateLimit | None, *, max_keys: int = 50_000) -> None:
        self.limit = limit
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}

    def hit(self, key: str, *, weight: int = 1, message: str = "Too many attempts. Wait a minute and try again.") -> None:
        """Count one attempt for ``key``; raise :class:`RateLimited` past the limit."""
        if self.limit is None:
            return
        now = time.monotonic()
        window = self.limit.seconds
        hits = self._hits.get(key)
        if hits is None:
            if len(self._hits) >= self.max_keys:
                self._hits.clear()
            hits = self._hits[key] = deque()
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= self.limit.count * weight:
            raise RateLimited(message)
        hits.append(now)

    def reset(self) -> None:
        self._hits.clear()
