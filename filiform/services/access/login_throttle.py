"""Login rate limiting: failures counted per username and per client address."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass
class LoginThrottle:
    """Sliding-window failure counts per username and per client address (in process).

    ``max_per_user`` failures for one username, or ``max_per_client`` from one address,
    within ``window_s`` block further attempts until the oldest failure leaves the window.
    """

    max_per_user: int = 5
    max_per_client: int = 20
    window_s: float = 900.0
    _fails: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _window(self, key: str, now: float) -> deque[float]:
        q = self._fails.setdefault(key, deque())
        while q and q[0] <= now - self.window_s:
            q.popleft()
        return q

    def retry_after(self, username: str, client: str) -> float:
        """Seconds until an attempt is allowed (0 when allowed now)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key, limit in ((f"u:{username}", self.max_per_user), (f"c:{client}", self.max_per_client)):
                q = self._window(key, now)
                if len(q) >= limit:
                    wait = max(wait, q[len(q) - limit] + self.window_s - now)
        return wait

    def failed(self, username: str, client: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in (f"u:{username}", f"c:{client}"):
                self._window(key, now).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._fails.pop(f"u:{username}", None)

    def reset(self) -> None:
        with self._lock:
            self._fails.clear()


DEFAULT_THROTTLE = LoginThrottle()
