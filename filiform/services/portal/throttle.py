"""Rate limits for the patient pages (in this process): failed link attempts per client,
and requests per portal session.

Guessing a 256-bit token is hopeless already; the limit makes scanning visible and cheap
to refuse, and caps what one stolen session can do.  A refusal is a 429 with Retry-After.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class Window:
    """At most ``limit`` events per key within ``window_s`` seconds (sliding)."""

    limit: int
    window_s: float
    _events: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _queue(self, key: str, now: float) -> deque[float]:
        q = self._events.setdefault(key, deque())
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def retry_after(self, key: str) -> float:
        now = time.monotonic()
        with self._lock:
            q = self._queue(key, now)
            return max(0.0, q[0] + self.window_s - now) if len(q) >= self.limit else 0.0

    def hit(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._queue(key, now).append(now)


@dataclass
class PortalThrottle:
    """Failed link openings per client address; requests per link session."""

    failures: Window = field(default_factory=lambda: Window(limit=10, window_s=900.0))
    requests: Window = field(default_factory=lambda: Window(limit=120, window_s=600.0))
