"""One pass of the portal's background work, and a thread that repeats it.

A pass queues the questionnaire links and appointment reminders now due
(:func:`filiform.services.portal.schedule.tick`) and hands queued e-mail to the SMTP
server (:func:`filiform.services.operations.outbox.deliver_due`).  ``filiform portal
worker`` runs passes in its own process; ``filiform serve`` runs them in a thread beside
the web app, so a single-machine clinic needs one command.  Several workers at once are
safe: a message is claimed before it is sent.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from filiform.core.concepts.clock import Clock
from filiform.services.operations import outbox
from filiform.services.portal.schedule import tick

log = logging.getLogger("filiform.portal.worker")


@dataclass(frozen=True)
class PassReport:
    """What one pass did, in words for a log line."""

    measure_links: int
    reminders: int
    delivery: outbox.Delivery | None
    skipped: list[str] = field(default_factory=list)

    def line(self) -> str:
        sent = self.delivery
        tail = f"; sent {sent.sent}, retrying {sent.retried}, failed {sent.failed}" if sent else "; no SMTP server set"
        return f"queued {self.measure_links} questionnaire link(s), {self.reminders} reminder(s){tail}"


def run_pass(
    sessions: sessionmaker[Session], clock: Clock, *, base_url: str, mailer: outbox.Mailer | None
) -> PassReport:
    """Queue what is due, then send what is queued (when a mail server is set)."""
    queued = tick(sessions, clock, base_url=base_url)
    delivery = outbox.deliver_due(sessions, mailer, clock) if mailer else None
    return PassReport(queued.measure_links, queued.reminders, delivery, list(queued.skipped))


class WorkerThread(threading.Thread):
    """Runs :func:`run_pass` every ``every`` seconds until :meth:`stop`.

    A failing pass is logged and retried at the next interval; it never stops the web app.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Clock,
        *,
        base_url: str,
        mailer: outbox.Mailer | None,
        every: float = 60.0,
    ) -> None:
        super().__init__(name="filiform-portal-worker", daemon=True)
        self._sessions, self._clock, self._base, self._mailer = sessions, clock, base_url, mailer
        self._every = every
        self._stopping = threading.Event()
        self.passes = 0

    def run(self) -> None:
        while not self._stopping.is_set():
            try:
                report = run_pass(self._sessions, self._clock, base_url=self._base, mailer=self._mailer)
                log.info(report.line())
            except Exception:  # logged with its traceback; the next pass tries again
                log.exception("portal worker pass failed")
            self.passes += 1
            self._stopping.wait(self._every)

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self.join(timeout)
