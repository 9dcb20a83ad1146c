"""FHIR errors: every error under ``/api/fhir`` is an OperationOutcome (``application/fhir+json``).

Bulk Data clients read ``issue[].diagnostics``; the stable Filiform error code travels in
``issue[].details.text`` so a program can still tell one refusal from another.
"""

from __future__ import annotations

from typing import Any

FHIR_JSON = "application/fhir+json"
FHIR_PREFIX = "/api/fhir"
# HTTP status -> OperationOutcome issue type (R4 IssueType value set)
ISSUE_TYPE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    413: "too-costly",
    422: "invalid",
    429: "throttled",
}


def is_fhir(path: str) -> bool:
    return path == FHIR_PREFIX or path.startswith(FHIR_PREFIX + "/")


def outcome(status: int, code: str, message: str, details: list[str] | None = None) -> dict[str, Any]:
    """An OperationOutcome with one error issue (plus one per detail line)."""
    kind = ISSUE_TYPE.get(status, "exception" if status >= 500 else "processing")
    issues = [{"severity": "error", "code": kind, "details": {"text": code}, "diagnostics": message}]
    issues += [{"severity": "error", "code": kind, "diagnostics": d} for d in (details or [])[:50]]
    return {"resourceType": "OperationOutcome", "issue": issues}
