"""Bulk Data Access (STU2) ``$export``: kick-off (GET or POST), status, files, delete.

Kick-off at ``[base]/$export`` (system), ``[base]/Patient/$export`` (every patient's
compartment) or ``[base]/Group/<id>/$export`` (Filiform keeps no groups: 404). Parameters
``_type``, ``_since`` (an instant with a time zone), ``_outputFormat`` and, in a POST
``Parameters`` body, ``patient``; any other parameter is refused (400) rather than
silently ignored. The kick-off answers 202 with ``Content-Location``; the status URL
answers 202 with ``X-Progress`` and ``Retry-After`` while it runs, then 200 with the
manifest (absolute URLs) and an ``Expires`` header; ``DELETE`` cancels or removes it. One
export runs per clinic (429 with ``Retry-After``). Job state lives in the database
(:mod:`filiform.services.operations.export_jobs`), files in the private data folder.
Downloads need the export permission and the file's type in the token's scopes, and are
audited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException

from filiform.api.deps import CurrentActor, UnitOfWork
from filiform.api.fhir import check_scope, fhir_base, fhir_json
from filiform.errors import InvalidParameter, NotFound
from filiform.fhir import exporter
from filiform.services.access.context import Actor
from filiform.services.access.key_files import data_dir
from filiform.services.operations import audit, export_jobs

router = APIRouter(tags=["fhir"])
OUTPUT_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
QUERY_PARAMS = frozenset({"_type", "_outputFormat", "_since"})
BODY_PARAMS = frozenset({"_type", "_outputFormat", "_since", "patient"})
RETRY_AFTER_S = 10


@dataclass(frozen=True)
class Kickoff:
    types: list[str] | None
    since: datetime | None
    patients: list[int] | None


def _data_dir(request: Request) -> Path:
    return data_dir(request.app.state.database_url)


def _types(values: list[str]) -> list[str] | None:
    if not values:
        return None
    types = [t.strip() for value in values for t in value.split(",")]
    if any(not t for t in types):
        raise InvalidParameter("empty resource type in _type")
    unknown = sorted(set(types) - exporter.RESOURCE_TYPES)
    if unknown:
        raise InvalidParameter(
            "unsupported resource type in _type", details=[f"{t}: not exported by this server" for t in unknown]
        )
    return sorted(set(types))


def _since(values: list[str]) -> datetime | None:
    if not values:
        return None
    if len(values) > 1:
        raise InvalidParameter("_since given more than once")
    try:
        when = datetime.fromisoformat(values[0].replace("Z", "+00:00"))
    except ValueError:
        raise InvalidParameter(f"_since is not a FHIR instant: {values[0][:40]}") from None
    if when.tzinfo is None:
        raise InvalidParameter("_since needs a time zone (a FHIR instant, e.g. 2026-01-01T00:00:00Z)")
    return when.astimezone(UTC)


def _formats(values: list[str]) -> None:
    bad = [f for f in values if f not in OUTPUT_FORMATS]
    if bad:
        raise InvalidParameter("unsupported _outputFormat", details=[f"{f}: use application/fhir+ndjson" for f in bad])


def _patient_ids(refs: list[Any]) -> list[int]:
    out = []
    for ref in refs:
        text = ref.get("reference", "") if isinstance(ref, dict) else ""
        kind, _, number = text.partition("/")
        if kind != "Patient" or not number.isdigit() or len(number) > 18:
            raise InvalidParameter(f"patient must reference Patient/<id>: {str(text)[:60]}")
        out.append(int(number))
    return out


async def _kickoff(request: Request) -> Kickoff:
    """The request's parameters (query, or a POSTed Parameters resource), all checked."""
    extra = sorted(set(request.query_params) - QUERY_PARAMS)
    if extra:
        raise InvalidParameter("unsupported $export parameter", details=extra)
    query = request.query_params
    types, since, formats = query.getlist("_type"), query.getlist("_since"), query.getlist("_outputFormat")
    patients: list[Any] = []
    if request.method == "POST":
        body = await request.body()
        if body:
            try:
                params = json.loads(body)
            except ValueError:
                raise InvalidParameter("the kick-off body is not JSON (send a FHIR Parameters resource)") from None
            if not isinstance(params, dict) or params.get("resourceType") != "Parameters":
                raise InvalidParameter("the kick-off body must be a FHIR Parameters resource")
            for p in params.get("parameter", []):
                name = p.get("name") if isinstance(p, dict) else None
                if name not in BODY_PARAMS:
                    raise InvalidParameter(f"unsupported $export parameter: {str(name)[:40]}")
                value = next((v for k, v in p.items() if k.startswith("value")), None)
                if name == "patient":
                    patients.append(value)
                elif not isinstance(value, str):
                    raise InvalidParameter(f"{name} needs a string value")
                else:
                    {"_type": types, "_since": since, "_outputFormat": formats}[name].append(value)
    _formats(formats)
    return Kickoff(_types(types), _since(since), _patient_ids(patients) if patients else None)


@dataclass(frozen=True)
class _Export:
    """What the export thread runs: the FHIR exporter, as the actor who kicked it off."""

    engine: Engine
    who: Actor
    root: str
    status_base: str
    request_url: str
    kickoff: Kickoff
    level: str

    def __call__(self, out_dir: Path, progress: export_jobs.Progress, on_total: export_jobs.Progress) -> dict[str, Any]:
        files = f"{self.status_base}/{out_dir.name}"
        return exporter.bulk_export(
            self.engine,
            actor=self.who,
            out_dir=out_dir,
            base_url=self.root,
            request=self.request_url,
            types=self.kickoff.types,
            since=self.kickoff.since,
            patients=self.kickoff.patients,
            level=self.level,
            progress=progress,
            on_total=on_total,
            url_of=lambda name: f"{files}/{name}",
        )


async def _start(request: Request, who: Actor, level: str) -> Response:
    exporter.require_export(who)
    kickoff = await _kickoff(request)
    bearer = getattr(request.state, "bearer", None)
    if bearer is not None and bearer.types is not None:
        for kind in kickoff.types or sorted(exporter.RESOURCE_TYPES):
            check_scope(request, kind)
    status_base = fhir_base(request) + "/$export"
    root = str(request.base_url).rstrip("/")
    run = _Export(request.app.state.engine, who, root, status_base, str(request.url), kickoff, level)
    detail = {"url": str(request.url), "level": level}
    try:
        job_id = export_jobs.start(request.app.state.sessions, _data_dir(request), who, run, detail)
    except export_jobs.ExportRunning as exc:
        raise HTTPException(429, exc.message, headers={"Retry-After": str(RETRY_AFTER_S)}) from None
    return Response(status_code=202, headers={"Content-Location": f"{status_base}/{job_id}"})


@router.get("/fhir/$export", status_code=202, response_class=Response, response_model=None)
@router.post("/fhir/$export", status_code=202, response_class=Response, response_model=None)
async def system_export(request: Request, who: CurrentActor) -> Response:
    """Kick off an export of the whole clinic; 202 with the status URL in Content-Location."""
    return await _start(request, who, "system")


@router.get("/fhir/Patient/$export", status_code=202, response_class=Response, response_model=None)
@router.post("/fhir/Patient/$export", status_code=202, response_class=Response, response_model=None)
async def patient_export(request: Request, who: CurrentActor) -> Response:
    """Kick off an export of every patient's compartment (or of the POSTed ``patient`` list)."""
    return await _start(request, who, "patient")


@router.get("/fhir/Group/{group_id}/$export", response_class=Response, response_model=None)
@router.post("/fhir/Group/{group_id}/$export", response_class=Response, response_model=None)
def group_export(group_id: str, who: CurrentActor) -> Response:
    """Filiform keeps no groups of patients: every group is unknown."""
    raise NotFound(f"no Group/{group_id[:64]} (Filiform keeps no groups; use Patient/$export)")


@router.get("/fhir/$export/{job_id}", response_class=Response, response_model=None)
def export_status(job_id: str, who: CurrentActor, s: UnitOfWork) -> Response:
    """202 with ``X-Progress`` while running, 200 with the manifest (and ``Expires``) when done."""
    found = export_jobs.status(s, who.clinic_id, job_id)
    if found.running or found.manifest is None:
        return Response(status_code=202, headers={"X-Progress": found.progress, "Retry-After": "2"})
    headers = {"Expires": format_datetime(found.expires, usegmt=True)} if found.expires else {}
    return fhir_json(found.manifest, headers=headers)


@router.delete("/fhir/$export/{job_id}", status_code=202, response_class=Response, response_model=None)
def export_delete(job_id: str, request: Request, who: CurrentActor, s: UnitOfWork) -> Response:
    """Cancel a running export or delete a finished one's files (202, as the IG asks)."""
    export_jobs.remove(s, _data_dir(request), who.clinic_id, job_id)
    audit.record(s, actor=who, action="delete", entity="fhir_bulk", detail={"job": job_id})
    return Response(status_code=202)


@router.get("/fhir/$export/{job_id}/{name}", response_class=FileResponse, response_model=None)
def export_file(job_id: str, name: str, request: Request, who: CurrentActor, s: UnitOfWork) -> FileResponse:
    """One NDJSON file of an earlier export: export permission, token scope, audited."""
    exporter.require_export(who)
    check_scope(request, name.removesuffix(".ndjson"))
    path = export_jobs.output_file(s, _data_dir(request), who.clinic_id, job_id, name)
    audit.record(s, actor=who, action="download", entity="fhir_bulk", detail={"job": job_id, "file": name})
    return FileResponse(path, media_type="application/fhir+ndjson")


def now_http() -> str:
    return format_datetime(datetime.now(UTC), usegmt=True)
