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
logged-in actor; the rules (who may export) live with the export reads
(``filiform.services.records.streams``) and the job bookkeeping in
``filiform.services.operations.export_jobs``: this module only speaks HTTP.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException

from filiform.api.deps import CurrentActor, PathId, UnitOfWork
from filiform.errors import InvalidParameter
from filiform.fhir import exporter
from filiform.services.access.context import Actor
from filiform.services.operations import export_jobs

router = APIRouter(tags=["fhir"])
FHIR_JSON = "application/fhir+json"
# The IG's default format and the two abbreviations servers must also accept.
OUTPUT_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
KICKOFF_PARAMS = frozenset({"_type", "_outputFormat"})
RETRY_AFTER_S = 10


def _data_dir(request: Request) -> Path:
    configured = getattr(request.app.state, "data_dir", None) or os.environ.get("FILIFORM_DATA_DIR")
    return Path(configured or "var")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/fhir/Patient/{patient_id}/$everything", response_class=JSONResponse, response_model=None)
def everything(patient_id: PathId, request: Request, who: CurrentActor, s: UnitOfWork) -> JSONResponse:
    """The patient's whole record as a FHIR R4 searchset Bundle (an audited disclosure)."""
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


@router.post("/fhir/$export", status_code=202, response_class=Response, response_model=None)
def bulk_export(request: Request, who: CurrentActor) -> Response:
    """Kick off a clinic export; answers 202 with the status URL in ``Content-Location``."""
    exporter.require_export(who)
    types = _check_kickoff(request)
    run = _Export(request.app.state.sessions.kw["bind"], who, _base(request), str(request.url), types)
    try:
        request_id = export_jobs.start(_data_dir(request), who.clinic_id, run)
    except export_jobs.ExportRunning as exc:
        raise HTTPException(429, exc.message, headers={"Retry-After": str(RETRY_AFTER_S)}) from None
    status_url = f"{_base(request)}{request.url.path}/{request_id}"
    return Response(status_code=202, headers={"Content-Location": status_url})


@dataclass(frozen=True)
class _Export:
    """What the export thread runs: the FHIR exporter, as the actor who kicked it off."""

    engine: Engine
    who: Actor
    base_url: str
    kickoff_url: str
    types: list[str] | None

    def __call__(self, out_dir: Path, progress: export_jobs.Progress, on_total: export_jobs.Progress) -> object:
        return exporter.bulk_export(
            self.engine,
            actor=self.who,
            out_dir=out_dir,
            base_url=self.base_url,
            request=self.kickoff_url,
            types=self.types,
            progress=progress,
            on_total=on_total,
        )


@router.get("/fhir/$export/{request_id}", response_class=Response, response_model=None)
def export_status(request_id: str, request: Request, who: CurrentActor) -> Response:
    """202 with ``X-Progress`` while running, 200 with the manifest when complete."""
    found = export_jobs.status(_data_dir(request), who.clinic_id, request_id)
    if found.running or found.manifest is None:
        return Response(status_code=202, headers={"X-Progress": found.progress, "Retry-After": "1"})
    here = f"{_base(request)}{request.url.path}"
    manifest = {**found.manifest, "output": [{**o, "url": f"{here}/{o['url']}"} for o in found.manifest["output"]]}
    return JSONResponse(manifest, headers={"Expires": "0"})


@router.delete("/fhir/$export/{request_id}", status_code=202, response_class=Response, response_model=None)
def export_delete(request_id: str, request: Request, who: CurrentActor) -> Response:
    """Cancel a running export or delete a finished one's files (202, as the IG asks)."""
    export_jobs.remove(_data_dir(request), who.clinic_id, request_id)
    return Response(status_code=202)


@router.get("/fhir/$export/{request_id}/{name}", response_class=FileResponse, response_model=None)
def export_file(request_id: str, name: str, request: Request, who: CurrentActor) -> FileResponse:
    """One NDJSON file of an earlier export, to users of the clinic that ran it."""
    path = export_jobs.output_file(_data_dir(request), who.clinic_id, request_id, name)
    return FileResponse(path, media_type="application/fhir+ndjson")
