"""The audit side of one request: its ``access`` row and its reads' entries, one commit.

Why hold the access row instead of writing it at once: a GET then waits for one group
commit (:mod:`filiform.services.operations.audit_writer`), not two.  If the request never
opens a unit of work (an error, a redirect), :meth:`RequestAudit.flush` writes it before
the response starts, so a denied or failed request is audited too.

Why hold the reads' entries too (until the response starts): the endpoint's worker thread
then does not block on the group commit; the middleware awaits it on the event loop
before it sends the first byte of the response, so the guarantee is unchanged (no data
leaves before its audit entries are durable; if they cannot be written the request fails
with a 500).  Entries of a unit of work that ends after the response started (a streamed
body) are written and waited for where they are produced, as before.
"""

from __future__ import annotations

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
        self._started = False  # the response's first message was (about to be) sent

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
        with self._lock:
            if not self._started:  # written and awaited by flush() before the response starts
                self._held.extend(entries)
                return
        SINK.write_later(factory, self._take(entries))

    async def flush(self) -> None:
        """Make everything held durable (called before the response starts, and at the end)."""
        with self._lock:
            self._started = True
            entries, self._held = self._held, []
        if entries:
            await writer_for(self.sessions).write_async(entries)
