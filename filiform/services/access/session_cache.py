"""A per-process cache of live login sessions, exact about revocation and idle time.

Why: every logged-in request looked its session up with two ORM queries (about 1.9 ms),
more than the rest of a trivial request.  Now a request whose session is cached costs
one primary-key read of ``auth_state.epoch`` (raw driver call, no ORM) and a dict look-up.

Why it stays exact:

* revocation: everything that can end or weaken a session (log-off, idle or lifetime
  end, deactivation, password change or reset, MFA change) increments the epoch in the
  same transaction (``users.bump_epoch``); a cached entry is used only while the epoch it
  was read under is still current, in any process;
* idle time: the cached ``last_seen_at`` is never newer than the stored one, so a
  session the cache thinks alive is alive; when the cache thinks it has ended, or that
  its last-seen time is due for a refresh, the request takes the full path, which
  decides under the write lock as before;
* lifetime: ``created_at`` never changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

MAX_ENTRIES = 10_000


@dataclass(frozen=True)
class Cached:
    user_id: int
    clinic_id: int
    role: str
    created_at: datetime
    last_seen_at: datetime
    epoch: int


class SessionCache:
    """token hash -> :class:`Cached`, least recently used dropped first."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._entries: OrderedDict[str, Cached] = OrderedDict()
        self._lock = threading.Lock()
        self._max = max_entries

    def get(self, key: str) -> Cached | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: str, value: Cached) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def drop(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def current_epoch(engine: Engine) -> int:
    """``auth_state.epoch`` through the raw driver (no ORM, no explicit transaction on SQLite)."""
    conn = engine.raw_connection()
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT epoch FROM auth_state WHERE id = 1")
        row = cursor.fetchone()
        cursor.close()
        if engine.dialect.name != "sqlite":
            conn.rollback()
        return int(row[0]) if row else 0
    finally:
        conn.close()
