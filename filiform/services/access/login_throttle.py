"""Login throttling, shared by every application process through the database.

Failures are counted per username (any address) and per client address (any username)
in ``auth_throttle``.  Below a threshold nothing happens; from the threshold on, each
further failure doubles the wait before the next attempt (exponential back-off), up to
a cap: :attr:`LoginThrottle.user_cap_s` for a username, a shorter
:attr:`LoginThrottle.client_cap_s` for an address, so a clinic behind one NAT address
is slowed down by someone guessing, never locked out for long.  A count is forgotten
after ``window_s`` without failures; a successful login clears its username's count.

Why the database: an in-process counter gives each worker its own allowance, so N
processes allowed N times the guesses (and one process never saw another's failures).
The counters are written in the login's own transaction (which is also audited).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from filiform.storage.models import AuthThrottle


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class LoginThrottle:
    """Thresholds and caps; the counts live in the database."""

    max_per_user: int = 5
    max_per_client: int = 20
    window_s: float = 900.0
    base_s: float = 1.0
    user_cap_s: float = 900.0
    client_cap_s: float = 60.0

    def _keys(self, username: str, client: str) -> tuple[tuple[str, int, float], ...]:
        return (
            (f"u:{username.strip().lower()[:200]}", self.max_per_user, self.user_cap_s),
            (f"a:{client[:80]}", self.max_per_client, self.client_cap_s),
        )

    def delay(self, failures: int, threshold: int, cap: float) -> float:
        """Seconds to wait after ``failures`` consecutive failures (0 below the threshold)."""
        if failures < threshold:
            return 0.0
        return float(min(cap, self.base_s * 2 ** min(failures - threshold, 40)))

    def retry_after(self, session: Session, username: str, client: str, now: datetime | None = None) -> float:
        """Seconds until an attempt is allowed (0 when allowed now)."""
        at = now or datetime.now(UTC)
        keys = self._keys(username, client)
        stmt = sa.select(AuthThrottle).where(AuthThrottle.key.in_([k for k, *_ in keys]))
        rows = {r.key: r for r in session.scalars(stmt)}
        wait = 0.0
        for key, threshold, cap in keys:
            row = rows.get(key)
            if row is None:
                continue
            since = (at - _utc(row.last_failure_at)).total_seconds()
            if since > self.window_s:  # as in failed(): at exactly window_s the count still holds
                continue
            wait = max(wait, self.delay(row.failures, threshold, cap) - since)
        return max(wait, 0.0)

    def failed(self, session: Session, username: str, client: str, now: datetime | None = None) -> None:
        at = now or datetime.now(UTC)
        cutoff = at - timedelta(seconds=self.window_s)
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        table = cast(sa.Table, AuthThrottle.__table__)
        for key, *_ in self._keys(username, client):
            stmt = insert(table).values(key=key, failures=1, last_failure_at=at)
            stmt = stmt.on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "failures": sa.case((table.c.last_failure_at < cutoff, 1), else_=table.c.failures + 1),
                    "last_failure_at": at,
                },
            )
            session.execute(stmt)

    def succeeded(self, session: Session, username: str) -> None:
        key = self._keys(username, "")[0][0]
        session.execute(sa.delete(AuthThrottle).where(AuthThrottle.key == key))

    def reset(self, session: Session) -> None:
        """Forget every count (tests, or an operator after an incident)."""
        session.execute(sa.delete(AuthThrottle))


DEFAULT_THROTTLE = LoginThrottle()
