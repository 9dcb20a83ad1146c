"""Bookkeeping of background jobs in the database, so any application process can answer.

Why: a job's state kept in one process's memory is invisible to the others; behind a
load balancer a status request lands on another worker and finds nothing.  The work
itself still runs in the process that accepted it (``owner`` names it, host:pid); the
state, progress and error live in ``background_job``.  A job whose owner stopped
(restart, crash) is recognised by its heartbeat going quiet, whichever process or host
looks (``export_jobs._stale``), and marked ``failed`` then.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.errors import NotFound, ValidationFailed
from filiform.services.access.context import Actor
from filiform.storage.models import BackgroundJob

STATES = ("queued", "running", "done", "failed", "cancelled")
FINAL = frozenset({"done", "failed", "cancelled"})


def owner() -> str:
    """This process: ``host:pid``."""
    return f"{socket.gethostname()[:100]}:{os.getpid()}"


def create(session: Session, *, actor: Actor, job_id: str, kind: str, detail: dict[str, Any] | None = None) -> None:
    session.add(
        BackgroundJob(
            id=job_id,
            clinic_id=actor.clinic_id,
            kind=kind,
            state="queued",
            owner=owner(),
            created_by=actor.user_id,
            detail=detail or {},
        )
    )
    session.flush()


def get(session: Session, *, clinic_id: int, job_id: str) -> BackgroundJob:
    """A job of this clinic (another clinic's job is NotFound, like any record)."""
    row = session.get(BackgroundJob, job_id)
    if row is None or row.clinic_id != clinic_id:
        raise NotFound(f"no job {job_id}")
    return row


def update(
    session: Session,
    *,
    job_id: str,
    state: str | None = None,
    done: int | None = None,
    total: int | None = None,
    error: str | None = None,
) -> None:
    """Record progress or an outcome; a finished job does not change any more."""
    if state is not None and state not in STATES:
        raise ValidationFailed(f"unknown job state '{state}'")
    row = session.get(BackgroundJob, job_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no job {job_id}")
    if row.state in FINAL:
        return
    if state is not None:
        row.state = state
    if done is not None:
        row.done = done
    if total is not None:
        row.total = total
    if error is not None:
        row.error = error[:2000]
    row.updated_at = datetime.now(UTC)


def set_detail(session: Session, *, job_id: str, **values: Any) -> None:
    """Add to a job's ``detail`` (allowed after it finished: a result, an expiry, a deletion)."""
    row = session.get(BackgroundJob, job_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no job {job_id}")
    row.detail = {**(row.detail or {}), **values}
    row.updated_at = datetime.now(UTC)


def running(session: Session, *, clinic_id: int, kind: str) -> list[BackgroundJob]:
    """A clinic's unfinished jobs of one kind (every process sees the same)."""
    stmt = sa.select(BackgroundJob).where(
        BackgroundJob.clinic_id == clinic_id, BackgroundJob.kind == kind, BackgroundJob.state.in_(("queued", "running"))
    )
    return list(session.execute(stmt).scalars())


def get_any(session: Session, job_id: str) -> BackgroundJob | None:
    """A job by id whatever its clinic (for the process that runs it, never for a request)."""
    return session.get(BackgroundJob, job_id)
