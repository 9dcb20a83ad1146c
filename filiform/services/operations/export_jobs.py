"""Background export jobs: one running export per clinic, progress, cancel, clinic-scoped files.

The Bulk Data kick-off answers at once and the export runs in a thread, because a large
clinic takes minutes. This module owns that bookkeeping, independent of HTTP: a job's
folder (``<data dir>/fhir-export/<request id>/`` with a ``.clinic`` marker, so files are
visible only to users of the clinic that started it), the per-clinic slot, progress and
cancellation. What an export writes is the caller's ``run`` function (the FHIR exporter).
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filiform.errors import Conflict, ExportFailed, FiliformError, NotFound

log = logging.getLogger("filiform.services.export_jobs")
Progress = Callable[[int], None]
# run(out_dir, progress, on_total) writes the export's files and manifest.json
Runner = Callable[[Path, Progress, Progress], Any]


class ExportCancelled(Exception):
    """Raised inside the export stream when the client cancels a running export."""


class ExportRunning(Conflict):
    """The clinic already has an export running: one at a time."""

    status = 429
    code = "too_many_requests"


@dataclass
class Job:
    """One running (or just finished) export, kept in memory for progress and cancel."""

    request_id: str
    clinic_id: int
    folder: Path
    total: int = 0
    done: int = 0
    error: str | None = None
    finished: threading.Event = field(default_factory=threading.Event)
    cancel: threading.Event = field(default_factory=threading.Event)

    def tick(self, n: int) -> None:
        if self.cancel.is_set():
            raise ExportCancelled(self.request_id)
        self.done += n

    def progress(self) -> str:
        if not self.total:
            return "starting"
        return f"{min(99, 100 * self.done // self.total)}%"


@dataclass(frozen=True)
class Status:
    """What the status URL reports: still running (with progress) or the manifest."""

    running: bool
    progress: str = ""
    manifest: dict[str, Any] | None = None


_jobs: dict[str, Job] = {}
_clinic_locks: dict[int, threading.Lock] = {}
_registry = threading.Lock()


def clinic_lock(clinic_id: int) -> threading.Lock:
    """The lock held while a clinic's export runs (one at a time per clinic).

    A plain ``Lock`` (not ``RLock``) on purpose: the request thread takes it and the
    export thread releases it.
    """
    with _registry:
        return _clinic_locks.setdefault(clinic_id, threading.Lock())


def _run(job: Job, run: Runner, lock: threading.Lock) -> None:
    """The export thread: write the files, then free the clinic's slot whatever happened."""
    try:
        run(job.folder, job.tick, lambda n: setattr(job, "total", n))
    except ExportCancelled:
        pass
    except Exception as exc:  # the client learns it failed from the status URL
        log.exception("bulk export %s failed", job.request_id)
        job.error = exc.message if isinstance(exc, FiliformError) else "export failed"
    finally:
        if job.cancel.is_set():
            shutil.rmtree(job.folder, ignore_errors=True)
        job.finished.set()
        lock.release()


def start(data_dir: Path, clinic_id: int, run: Runner) -> str:
    """Start a clinic's export in the background; returns its request id.

    Raises :class:`ExportRunning` when the clinic already has one running.
    """
    lock = clinic_lock(clinic_id)
    if not lock.acquire(blocking=False):
        raise ExportRunning("an export of this clinic is already running")
    try:
        request_id = uuid.uuid4().hex
        folder = data_dir / "fhir-export" / request_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ".clinic").write_text(str(clinic_id), encoding="utf-8")
        job = Job(request_id, clinic_id, folder)
        with _registry:
            _jobs[request_id] = job
        thread = threading.Thread(target=_run, name=f"fhir-export-{request_id[:8]}", daemon=True, args=(job, run, lock))
        thread.start()
    except BaseException:
        lock.release()
        raise
    return request_id


def _is_id(request_id: str) -> bool:
    return len(request_id) == 32 and all(c in "0123456789abcdef" for c in request_id)


def folder(data_dir: Path, clinic_id: int, request_id: str) -> Path:
    """The export's folder if it belongs to the clinic; NotFound otherwise (no probing)."""
    found = data_dir / "fhir-export" / request_id
    marker = found / ".clinic"
    if not _is_id(request_id) or not marker.is_file() or marker.read_text(encoding="utf-8") != str(clinic_id):
        raise NotFound("no such export")
    return found


def status(data_dir: Path, clinic_id: int, request_id: str) -> Status:
    """Running (with progress) or finished (the manifest); a failed export is ExportFailed."""
    where = folder(data_dir, clinic_id, request_id)
    job = _jobs.get(request_id)
    if job is not None and job.cancel.is_set():
        raise NotFound("no such export")
    if job is not None and not job.finished.is_set():
        return Status(running=True, progress=job.progress())
    if job is not None and job.error is not None:
        raise ExportFailed(f"export failed: {job.error}")
    manifest_file = where / "manifest.json"
    if not manifest_file.is_file():  # no job and no manifest: interrupted by a restart
        raise NotFound("export was interrupted; start a new one")
    with _registry:  # done: the files on disk are the record from now on
        _jobs.pop(request_id, None)
    return Status(running=False, manifest=json.loads(manifest_file.read_text(encoding="utf-8")))


def remove(data_dir: Path, clinic_id: int, request_id: str) -> None:
    """Cancel a running export or delete a finished one's files."""
    where = folder(data_dir, clinic_id, request_id)
    with _registry:
        job = _jobs.pop(request_id, None)
    if job is not None and not job.finished.is_set():
        job.cancel.set()  # the export thread stops at its next row and removes the folder
    (where / ".clinic").unlink(missing_ok=True)  # invisible at once, even mid-cancel
    if job is None or job.finished.is_set():
        shutil.rmtree(where, ignore_errors=True)


def output_file(data_dir: Path, clinic_id: int, request_id: str, name: str) -> Path:
    """One NDJSON file of an earlier export, for users of the clinic that ran it."""
    if not (name.endswith(".ndjson") and name[:-7].isalpha()):
        raise NotFound("no such export file")
    try:
        where = folder(data_dir, clinic_id, request_id)
    except NotFound:
        raise NotFound("no such export file") from None
    if not (where / name).is_file():
        raise NotFound("no such export file")
    return where / name
