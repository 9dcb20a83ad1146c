"""Bulk Data export jobs: state in the database, files in a private folder that expires.

Why the database: the kick-off, the status polls, the downloads and the cancel may land
on different application processes (several workers on PostgreSQL), and a restart must
not lose a finished export; so each job is a ``background_job`` row (:mod:`.jobs`) with
the request, progress, the manifest and the expiry time. The export itself runs in a
thread of the process that accepted it; it reads the row's state between rows, so a
cancel sent to any process stops it.

Why a private folder: export files are whole clinical records in plain NDJSON. They are
written under ``<data dir>/private/fhir-export/<job id>/`` (folders 0700, files 0600; the
data dir is the database's folder, not the working directory) and deleted when the job
expires (:data:`TTL_ENV`, one hour by default), when it is deleted, or at the next sweep.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from filiform.errors import Conflict, ExportFailed, FiliformError, NotFound
from filiform.services.access.context import Actor
from filiform.services.operations import jobs
from filiform.storage.engine import transaction

log = logging.getLogger("filiform.services.export_jobs")
KIND = "fhir_export"
TTL_ENV = "FILIFORM_EXPORT_TTL_S"
DEFAULT_TTL = timedelta(hours=1)
TICK_EVERY_S = 1.0
STALE_AFTER = timedelta(minutes=5)
STOPPED = "the process running this export stopped (restart or crash); start a new one"
Progress = Callable[[int], None]
# run(out_dir, progress, on_total) writes the export's files and returns the manifest
Runner = Callable[[Path, Progress, Progress], dict[str, Any]]


class ExportCancelled(Exception):
    """Raised inside the export stream when the job was cancelled (by any process)."""


class ExportRunning(Conflict):
    """The clinic already has an export running: one at a time."""

    status = 429
    code = "too_many_requests"


@dataclass(frozen=True)
class Status:
    """What the status URL reports: running (with progress), or the manifest and its expiry."""

    running: bool
    progress: str = ""
    manifest: dict[str, Any] | None = None
    expires: datetime | None = None


def ttl() -> timedelta:
    raw = os.environ.get(TTL_ENV, "").strip()
    return timedelta(seconds=int(raw)) if raw.isdigit() and int(raw) > 0 else DEFAULT_TTL


def root(data_dir: Path) -> Path:
    """The private export folder (0700), created on first use."""
    folder = data_dir / "private" / "fhir-export"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(data_dir / "private", 0o700)
    os.chmod(folder, 0o700)
    return folder


def _folder(data_dir: Path, job_id: str) -> Path:
    return root(data_dir) / job_id


def _is_id(job_id: str) -> bool:
    return len(job_id) == 32 and all(c in "0123456789abcdef" for c in job_id)


class _Ticker:
    """Progress for the export thread: counts rows, and every second writes the count and
    reads the job's state (a cancel from any process stops the export)."""

    def __init__(self, sessions: sessionmaker[Session], job_id: str) -> None:
        self.sessions, self.job_id = sessions, job_id
        self.done, self.total, self.last = 0, 0, 0.0

    def tick(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= TICK_EVERY_S:
            self.last = now
            self.sync()

    def set_total(self, n: int) -> None:
        self.total = n
        self.sync()

    def sync(self) -> None:
        with transaction(self.sessions) as s:
            row = jobs.get_any(s, self.job_id)
            if row is None or row.state == "cancelled":
                raise ExportCancelled(self.job_id)
            jobs.update(s, job_id=self.job_id, state="running", done=self.done, total=self.total or None)


def _run(sessions: sessionmaker[Session], job_id: str, folder: Path, run: Runner) -> None:
    """The export thread: write the files, record the outcome, clean up after a cancel."""
    ticker = _Ticker(sessions, job_id)
    try:
        ticker.sync()
        manifest = run(folder, ticker.tick, ticker.set_total)
        expires = datetime.now(UTC) + ttl()
        with transaction(sessions) as s:
            jobs.set_detail(s, job_id=job_id, manifest=manifest, expires=expires.isoformat())
            jobs.update(s, job_id=job_id, state="done", done=ticker.done)
    except ExportCancelled:
        shutil.rmtree(folder, ignore_errors=True)
    except Exception as exc:  # the client learns it failed from the status URL
        log.exception("bulk export %s failed", job_id)
        shutil.rmtree(folder, ignore_errors=True)
        message = exc.message if isinstance(exc, FiliformError) else "export failed"
        with transaction(sessions) as s:
            jobs.update(s, job_id=job_id, state="failed", error=message)


def _stale(row: Any) -> bool:
    """A running export whose thread stopped beating (its process was restarted or died).

    Why a heartbeat and not the owner's pid: several application processes, perhaps on
    several hosts, share the jobs, and none can tell whether another's pid is alive. The
    export thread writes its progress (and ``updated_at``) every second while it runs.
    """
    beat = row.updated_at if row.updated_at.tzinfo else row.updated_at.replace(tzinfo=UTC)
    return bool(row.state in ("queued", "running") and beat < datetime.now(UTC) - STALE_AFTER)


def _abandon(session: Session, row: Any) -> None:
    jobs.update(session, job_id=row.id, state="failed", error=STOPPED)


def start(sessions: sessionmaker[Session], data_dir: Path, actor: Actor, run: Runner, request: dict[str, Any]) -> str:
    """Record the job and start its thread; returns the job id (429 when one is running).

    An export left running by a stopped process is marked failed first, so it cannot
    block the clinic's exports for ever.
    """
    sweep(sessions, data_dir)
    job_id = uuid.uuid4().hex
    with transaction(sessions) as s:
        for row in jobs.running(s, clinic_id=actor.clinic_id, kind=KIND):
            if _stale(row):
                _abandon(s, row)
        if jobs.running(s, clinic_id=actor.clinic_id, kind=KIND):
            raise ExportRunning("an export of this clinic is already running")
        jobs.create(s, actor=actor, job_id=job_id, kind=KIND, detail={"request": request})
    folder = _folder(data_dir, job_id)
    folder.mkdir(mode=0o700)
    thread = threading.Thread(
        target=_run, name=f"fhir-export-{job_id[:8]}", daemon=True, args=(sessions, job_id, folder, run)
    )
    thread.start()
    return job_id


def _job(session: Session, clinic_id: int, job_id: str) -> Any:
    """The clinic's export job, still present (not deleted or expired); NotFound otherwise."""
    if not _is_id(job_id):
        raise NotFound("no such export")
    try:
        row = jobs.get(session, clinic_id=clinic_id, job_id=job_id)
    except NotFound:
        raise NotFound("no such export") from None
    if row.kind != KIND or row.state == "cancelled" or (row.detail or {}).get("deleted"):
        raise NotFound("no such export")
    return row


def _expires(row: Any) -> datetime | None:
    text = (row.detail or {}).get("expires")
    return datetime.fromisoformat(text) if text else None


def status(session: Session, clinic_id: int, job_id: str) -> Status:
    """Running (progress), done (manifest and expiry), or an error (failed, expired)."""
    row = _job(session, clinic_id, job_id)
    if _stale(row):
        _abandon(session, row)
    if row.state in ("queued", "running"):
        progress = f"{min(99, 100 * row.done // row.total)}%" if row.total else "starting"
        return Status(running=True, progress=progress)
    if row.state == "failed":
        raise ExportFailed(f"export failed: {row.error or 'unknown error'}")
    expires = _expires(row)
    if expires is not None and expires <= datetime.now(UTC):
        raise NotFound("this export has expired; start a new one")
    return Status(running=False, manifest=row.detail["manifest"], expires=expires)


def remove(session: Session, data_dir: Path, clinic_id: int, job_id: str) -> None:
    """Cancel a running export or delete a finished one's files (any process may do it)."""
    row = _job(session, clinic_id, job_id)
    if row.state in ("queued", "running"):
        jobs.update(session, job_id=job_id, state="cancelled")  # the thread stops at its next tick
    else:
        jobs.set_detail(session, job_id=job_id, deleted=True)
    shutil.rmtree(_folder(data_dir, job_id), ignore_errors=True)


def output_file(session: Session, data_dir: Path, clinic_id: int, job_id: str, name: str) -> Path:
    """One NDJSON file of a finished, unexpired export of the clinic."""
    if not (name.endswith(".ndjson") and name[:-7].isalpha()):
        raise NotFound("no such export file")
    try:
        found = status(session, clinic_id, job_id)
    except (NotFound, ExportFailed):
        raise NotFound("no such export file") from None
    path = _folder(data_dir, job_id) / name
    if found.running or not path.is_file():
        raise NotFound("no such export file")
    return path


def sweep(sessions: sessionmaker[Session], data_dir: Path) -> int:
    """Delete expired exports' files (and folders no job names); returns folders removed."""
    removed = 0
    now = datetime.now(UTC)
    with transaction(sessions) as s:
        for folder in root(data_dir).iterdir():
            row = jobs.get_any(s, folder.name) if _is_id(folder.name) else None
            expires = _expires(row) if row is not None else None
            gone = row is None or row.state in ("failed", "cancelled") or (row.detail or {}).get("deleted")
            if gone or (expires is not None and expires <= now):
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return removed


def private_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by this user only (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def manifest_json(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2)
