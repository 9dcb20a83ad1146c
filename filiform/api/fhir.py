"""FHIR R4 endpoints: ``GET /fhir/Patient/{id}/$everything`` and Bulk Data ``$export``.

``$export`` follows the Bulk Data Access IG's asynchronous request pattern: the kick-off
answers 202 with a ``Content-Location`` status URL at once, and the export runs in a
background thread, because a large clinic takes minutes and a proxy would time a
synchronous request out.  The status URL answers 202 (``X-Progress``) while it runs, 200
with the manifest when done, and ``DELETE`` cancels or removes it.  The NDJSON files are
written under ``<data dir>/fhir-export/<request id>/`` next to a ``.clinic`` marker, so
status and files are visible only to users of the clinic that started the export (others
get the same 404 as for an unknown id).  One export runs per clinic at a time; a second
kick-off gets 429 with ``Retry-After``.  Both endpoints are audited disclosures by the
logged-in actor; the rules (who may export) live in filiform.fhir.exporter.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from filiform.api.deps import PathId, actor, tx
from filiform.errors import ExportFailed, FiliformError, InvalidParameter, NotFound
from filiform.fhir import exporter
from filiform.services.access.context import Actor

router = APIRouter(tags=["fhir"])
log = logging.getLogger("filiform.api.fhir")
FHIR_JSON = "application/fhir+json"
# The IG's default format and the two abbreviations servers must also accept.
OUTPUT_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
KICKOFF_PARAMS = frozenset({"_type", "_outputFormat"})
RETRY_AFTER_S = 10


class ExportCancelled(Exception):
    """Raised inside the export stream when the client DELETEs a running export."""


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


def _data_dir(request: Request) -> Path:
    configured = getattr(request.app.state, "data_dir", None) or os.environ.get("FILIFORM_DATA_DIR")
    return Path(configured or "var")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/fhir/Patient/{patient_id}/$everything")
def everything(patient_id: PathId, request: Request) -> JSONResponse:
    who = actor(request)
    with tx(request) as s:
        bundle = exporter.patient_bundle(s, actor=who, patient_id=patient_id, base_url=_base(request), kind="searchset")
    return JSONResponse(bundle, media_type=FHIR_JSON)


def _kickoff_types(request: Request) -> list[str] | None:
    """``_type`` as a list (repeatable, comma-separated), or None for every type."""
    raw = request.query_params.getlist("_type")
    if not raw:
        return None
    types = [t.strip() for value in raw for t in value.split(",")]
    if any(not t for t in types):
        raise InvalidParameter("empty resource type in _type")
    unknown = sorted(set(types) - exporter.RESOURCE_TYPES)
    if unknown:
        raise InvalidParameter(
            "unsupported resource type in _type", details=[f"{t}: not exported by this server" for t in unknown]
        )
    return sorted(set(types))


def _check_kickoff(request: Request) -> list[str] | None:
    """Refuse what we would otherwise silently ignore (``_since``, other formats...)."""
    extra = sorted(set(request.query_params) - KICKOFF_PARAMS)
    if extra:
        raise InvalidParameter("unsupported $export parameter", details=extra)
    formats = request.query_params.getlist("_outputFormat")
    bad = [f for f in formats if f not in OUTPUT_FORMATS]
    if bad:
        raise InvalidParameter("unsupported _outputFormat", details=[f"{f}: use application/fhir+ndjson" for f in bad])
    return _kickoff_types(request)


def _run(
    job: Job, engine: Any, who: Actor, base_url: str, kickoff_url: str, types: list[str] | None, lock: threading.Lock
) -> None:
    """The export thread: write the files, then free the clinic's slot whatever happened."""
    try:
        exporter.bulk_export(
            engine,
            actor=who,
            out_dir=job.folder,
            base_url=base_url,
            request=kickoff_url,
            types=types,
            progress=job.tick,
            on_total=lambda n: setattr(job, "total", n),
        )
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


@router.post("/fhir/$export", status_code=202)
def bulk_export(request: Request) -> Response:
    """Kick off a clinic export; answers 202 with the status URL in ``Content-Location``."""
    who = actor(request)
    exporter.require_export(who)
    types = _check_kickoff(request)
    lock = clinic_lock(who.clinic_id)
    if not lock.acquire(blocking=False):
        raise HTTPException(
            429, "an export of this clinic is already running", headers={"Retry-After": str(RETRY_AFTER_S)}
        )
    try:
        request_id = uuid.uuid4().hex
        folder = _data_dir(request) / "fhir-export" / request_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ".clinic").write_text(str(who.clinic_id), encoding="utf-8")
        job = Job(request_id, who.clinic_id, folder)
        with _registry:
            _jobs[request_id] = job
        engine = request.app.state.sessions.kw["bind"]
        thread = threading.Thread(
            target=_run,
            name=f"fhir-export-{request_id[:8]}",
            daemon=True,
            args=(job, engine, who, _base(request), str(request.url), types, lock),
        )
        thread.start()
    except BaseException:
        lock.release()
        raise
    status_url = f"{_base(request)}{request.url.path}/{request_id}"
    return Response(status_code=202, headers={"Content-Location": status_url})


def _folder(request: Request, who: Actor, request_id: str) -> Path:
    """The export's folder if it belongs to the actor's clinic; 404 otherwise (no probing)."""
    ok = len(request_id) == 32 and all(c in "0123456789abcdef" for c in request_id)
    folder = _data_dir(request) / "fhir-export" / request_id
    marker = folder / ".clinic"
    if not ok or not marker.is_file() or marker.read_text(encoding="utf-8") != str(who.clinic_id):
        raise NotFound("no such export")
    return folder


@router.get("/fhir/$export/{request_id}")
def export_status(request_id: str, request: Request) -> Response:
    """202 with ``X-Progress`` while running, 200 with the manifest when complete."""
    who = actor(request)
    folder = _folder(request, who, request_id)
    job = _jobs.get(request_id)
    if job is not None and job.cancel.is_set():
        raise NotFound("no such export")
    if job is not None and not job.finished.is_set():
        return Response(status_code=202, headers={"X-Progress": job.progress(), "Retry-After": "1"})
    if job is not None and job.error is not None:
        raise ExportFailed(f"export failed: {job.error}")
    manifest_file = folder / "manifest.json"
    if not manifest_file.is_file():  # no job and no manifest: interrupted by a restart
        raise NotFound("export was interrupted; start a new one")
    with _registry:  # done: the files on disk are the record from now on
        _jobs.pop(request_id, None)
    manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    here = f"{_base(request)}{request.url.path}"
    manifest["output"] = [{**o, "url": f"{here}/{o['url']}"} for o in manifest["output"]]
    return JSONResponse(manifest, headers={"Expires": "0"})


@router.delete("/fhir/$export/{request_id}", status_code=202)
def export_delete(request_id: str, request: Request) -> Response:
    """Cancel a running export or delete a finished one's files (202, as the IG asks)."""
    who = actor(request)
    folder = _folder(request, who, request_id)
    with _registry:
        job = _jobs.pop(request_id, None)
    if job is not None and not job.finished.is_set():
        job.cancel.set()  # the export thread stops at its next row and removes the folder
    (folder / ".clinic").unlink(missing_ok=True)  # invisible at once, even mid-cancel
    if job is None or job.finished.is_set():
        shutil.rmtree(folder, ignore_errors=True)
    return Response(status_code=202)


@router.get("/fhir/$export/{request_id}/{name}")
def export_file(request_id: str, name: str, request: Request) -> FileResponse:
    """One NDJSON file of an earlier export, to users of the clinic that ran it."""
    who = actor(request)
    folder = _data_dir(request) / "fhir-export" / request_id
    ok = (
        len(request_id) == 32
        and all(c in "0123456789abcdef" for c in request_id)
        and name.endswith(".ndjson")
        and name[:-7].isalpha()
    )
    marker = folder / ".clinic"
    if (
        not ok
        or not marker.is_file()
        or marker.read_text(encoding="utf-8") != str(who.clinic_id)
        or not (folder / name).is_file()
    ):
        raise NotFound("no such export file")
    return FileResponse(folder / name, media_type="application/fhir+ndjson")
