"""FHIR R4 endpoints: ``GET /fhir/Patient/{id}/$everything`` and ``POST /fhir/$export``.

``$export`` runs synchronously for now (the clinic export streams in constant memory)
and answers with the Bulk Data manifest; the NDJSON files are written under
``<data dir>/fhir-export/<request id>/``. Both are audited disclosures by the logged-in
actor; the rules (who may export) live in filiform.fhir.exporter.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse

from filiform.api.deps import PathId, actor, tx
from filiform.errors import NotFound
from filiform.fhir import exporter

router = APIRouter(tags=["fhir"])
FHIR_JSON = "application/fhir+json"


def _data_dir(request: Request) -> Path:
    configured = getattr(request.app.state, "data_dir", None) or os.environ.get("FILIFORM_DATA_DIR")
    return Path(configured or "var")


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/fhir/Patient/{patient_id}/$everything")
def everything(patient_id: PathId, request: Request) -> JSONResponse:
    who = actor(request)
    with tx(request) as s:
        bundle = exporter.patient_bundle(s, actor=who, patient_id=patient_id,
                                         base_url=_base(request), kind="searchset")
    return JSONResponse(bundle, media_type=FHIR_JSON)


@router.post("/fhir/$export")
def bulk_export(request: Request) -> dict[str, Any]:
    who = actor(request)
    request_id = uuid.uuid4().hex
    out = _data_dir(request) / "fhir-export" / request_id
    engine = request.app.state.sessions.kw["bind"]
    out.mkdir(parents=True, exist_ok=True)
    (out / ".clinic").write_text(str(who.clinic_id), encoding="utf-8")
    manifest = exporter.bulk_export(engine, actor=who, out_dir=out, base_url=_base(request),
                                    request=str(request.url))
    here = f"{_base(request)}{request.url.path}"  # .../fhir/$export, wherever the router is mounted
    manifest["output"] = [{**o, "url": f"{here}/{request_id}/{o['url']}"} for o in manifest["output"]]
    return manifest


@router.get("/fhir/$export/{request_id}/{name}")
def export_file(request_id: str, name: str, request: Request) -> FileResponse:
    """One NDJSON file of an earlier export, to users of the clinic that ran it."""
    who = actor(request)
    folder = _data_dir(request) / "fhir-export" / request_id
    ok = (len(request_id) == 32 and all(c in "0123456789abcdef" for c in request_id)
          and name.endswith(".ndjson") and name[:-7].isalpha())
    marker = folder / ".clinic"
    if not ok or not marker.exists() or marker.read_text() != str(who.clinic_id) \
            or not (folder / name).is_file():
        raise NotFound("no such export file")
    return FileResponse(folder / name, media_type="application/fhir+ndjson")
