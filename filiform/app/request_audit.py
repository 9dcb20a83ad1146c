"""The audit side of one request: its ``access`` row and its reads' entries, one commit.

Why hold the access row instead of writing it at once: a GET then waits for one group
commit (:mod:`filiform.services.operations.audit_writer`), not two.  If the request never
opens a unit of work (an error, a redirect), :meth:`RequestAudit.flush` writes it before
the response starts, so a denied or failed request is audited too.
"""

from __future__ import annotations

import asyncio
import re
import threading
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from filiform.services.access.context import Actor
from filiform.services.operations import audit
from filiform.services.operations.audit_writer import SINK, writer_for

PATIENT_PATH = re.compile(r"^/(?:api/)?patients(?:/(\d{1,18}))?(?:/|$)")


def access_entry(actor: Actor, method: str, path: str) -> audit.Pending:
    match = PATIENT_PATH.match(path)
    pid = int(match.group(1)) if match and match.group(1) else None
    return audit.pending(
        actor=actor, action="access", entity="http", patient_id=pid, detail={"method": method, "path": path[:200]}
    )


class RequestAudit:
    """One request's read-audit sink (:class:`filiform.storage.engine.ReadAuditSink`)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self._held: list[audit.Pending] = []
        self._lock = threading.Lock()

    def hold(self, entry: audit.Pending) -> None:
        with self._lock:
            self._held.append(entry)

    def _take(self, entries: list[Any]) -> list[Any]:
        with self._lock:
            taken, self._held = self._held, []
        return [*taken, *entries]

    def write_now(self, session: Session, entries: list[Any]) -> None:
        SINK.write_now(session, self._take(entries))

    def write_later(self, factory: sessionmaker[Session], entries: list[Any]) -> None:
        SINK.write_later(factory, self._take(entries))

    async def flush(self) -> None:
        entries = self._take([])
        if entries:
            await asyncio.wrap_future(writer_for(self.sessions).submit(entries))
