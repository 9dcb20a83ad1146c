"""FHIR R4 endpoints under ``/api/fhir``: capabilities, SMART configuration, reads, ``$everything``.

The Bulk Data export lives in :mod:`filiform.api.fhir_bulk` and the SMART token endpoint
in :mod:`filiform.api.fhir_auth`. Every error here is an OperationOutcome (the app's error
mapping, :mod:`filiform.api.fhir_outcome`). A browser session or a SMART bearer token may
call these; a token reads only the resource types its scopes name.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from filiform import __version__
from filiform.api.deps import CurrentActor, PathId, UnitOfWork
from filiform.api.fhir_outcome import FHIR_JSON
from filiform.errors import PermissionDenied
from filiform.fhir import exporter, reads

router = APIRouter(tags=["fhir"])
BULK_EXPORT = "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"
SMART_SECURITY = "http://terminology.hl7.org/CodeSystem/restful-security-service"


def base(request: Request) -> str:
    """The server root as the client reached it (absolute URLs in manifests and fullUrls)."""
    return str(request.base_url).rstrip("/")


def fhir_base(request: Request) -> str:
    return base(request) + exporter.FHIR_PATH


def check_scope(request: Request, kind: str) -> None:
    """A bearer token reads only the resource types its scopes allow."""
    bearer = getattr(request.state, "bearer", None)
    if bearer is not None and bearer.types is not None and kind not in bearer.types:
        raise PermissionDenied(f"the access token's scopes do not include {kind}")


def fhir_json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type=FHIR_JSON, headers=headers)


@router.get("/fhir/metadata", response_class=JSONResponse, response_model=None)
def metadata(request: Request) -> JSONResponse:
    """The CapabilityStatement: what this server reads and exports, and how to authenticate."""
    token_url = fhir_base(request) + "/auth/token"
    resources = [{"type": kind, "interaction": [{"code": "read"}]} for kind in sorted(exporter.RESOURCE_TYPES)]
    patient = next(r for r in resources if r["type"] == "Patient")
    patient["operation"] = [
        {"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"},
        {"name": "export", "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/patient-export"},
    ]
    statement = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-11-28",
        "publisher": "Filiform",
        "kind": "instance",
        "instantiates": ["http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"],
        "software": {"name": "Filiform", "version": __version__},
        "implementation": {"description": "Filiform FHIR R4 server", "url": fhir_base(request)},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "security": {
                    "extension": [
                        {
                            "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                            "extension": [{"url": "token", "valueUri": token_url}],
                        }
                    ],
                    "service": [{"coding": [{"system": SMART_SECURITY, "code": "SMART-on-FHIR"}]}],
                    "description": "SMART Backend Services (client-credentials grant, RS384/ES384 assertions)",
                },
                "resource": resources,
                "operation": [{"name": "export", "definition": BULK_EXPORT}],
            }
        ],
    }
    return fhir_json(statement)


@router.get("/fhir/.well-known/smart-configuration", response_class=JSONResponse, response_model=None)
def smart_configuration(request: Request) -> JSONResponse:
    """SMART discovery for backend clients: where to get a token and with what."""
    return JSONResponse(
        {
            "issuer": fhir_base(request),
            "token_endpoint": fhir_base(request) + "/auth/token",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
            "grant_types_supported": ["client_credentials"],
            "scopes_supported": ["system/*.read", "system/*.rs"],
            "capabilities": ["client-confidential-asymmetric", "permission-v1", "permission-v2"],
        }
    )


@router.get("/fhir/Patient/{patient_id}/$everything", response_class=JSONResponse, response_model=None)
def everything(patient_id: PathId, request: Request, who: CurrentActor, s: UnitOfWork) -> JSONResponse:
    """The patient's whole record as a FHIR R4 searchset Bundle (an audited disclosure)."""
    check_scope(request, "Patient")
    bundle = exporter.patient_bundle(s, actor=who, patient_id=patient_id, base_url=base(request), kind="searchset")
    return fhir_json(bundle)


@router.get("/fhir/{kind}/{rid}", response_class=JSONResponse, response_model=None)
def read(kind: str, rid: str, request: Request, who: CurrentActor, s: UnitOfWork) -> JSONResponse:
    """One resource, as the export writes it (what every exported fullUrl names)."""
    check_scope(request, kind)
    return fhir_json(reads.read(s, actor=who, kind=kind, rid=rid, base_url=base(request)))
