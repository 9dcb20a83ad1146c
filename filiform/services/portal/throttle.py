"""Rate limits for the patient pages: failed link attempts per client address, and
requests per portal session — counted in the database, so every application process
shares one allowance.

Guessing a 256-bit token is hopeless already; the limit makes scanning visible and cheap
to refuse, and caps what one stolen session can do.  A refusal is a 429 with Retry-After.

Why the database: an in-process counter gave each worker its own allowance (N processes
allowed N times the requests) and forgot everything at a restart.  The counters live in
``auth_throttle`` beside the login counters (keys ``portal-<window>:<key>``), written in
the request's own transaction.  Each window is fixed: it starts at the first event and
lasts ``window_s``; ``last_failure_at`` holds that start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from filiform.storage.models import AuthThrottle

PREFIX = "portal-"


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Window:
    """At most ``limit`` events per key within a window of ``window_s`` seconds."""

    name: str
    limit: int
    window_s: float

    def _key(self, key: str) -> str:
        return f"{PREFIX}{self.name}:{key}"[:300]

    def retry_after(self, session: Session, key: str, now: datetime) -> float:
        """Seconds until the next event is allowed (0 when allowed now)."""
        table = cast(sa.Table, AuthThrottle.__table__)
        query = sa.select(table.c.failures, table.c.last_failure_at).where(table.c.key == self._key(key))
        row = session.execute(query).first()
        if row is None or row.failures < self.limit:
            return 0.0
        left = self.window_s - (_utc(now) - _utc(row.last_failure_at)).total_seconds()
        return max(0.0, left)

    def hit(self, session: Session, key: str, now: datetime) -> None:
        """Count one event (a new window starts once the old one has passed)."""
        at = _utc(now)
        expired = at - timedelta(seconds=self.window_s)
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        table = cast(sa.Table, AuthThrottle.__table__)
        stale = table.c.last_failure_at <= expired
        stmt = insert(table).values(key=self._key(key), failures=1, last_failure_at=at)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": sa.case((stale, 1), else_=table.c.failures + 1),
                "last_failure_at": sa.case((stale, at), else_=table.c.last_failure_at),
            },
        )
        session.execute(stmt)


@dataclass(frozen=True)
class PortalThrottle:
    """Failed link openings per client address; requests per link session."""

    failures: Window = field(default_factory=lambda: Window("failures", limit=10, window_s=900.0))
    requests: Window = field(default_factory=lambda: Window("requests", limit=120, window_s=600.0))

    @staticmethod
    def reset(session: Session) -> None:
        """Forget every portal count (tests, or an operator after an incident)."""
        session.execute(sa.delete(AuthThrottle).where(AuthThrottle.key.startswith(PREFIX)))
