"""Every endpoint x every role x own/other clinic, expected outcome derived from PERMISSIONS.

A role without the permission gets 403; with it, its own clinic's record answers 2xx
(every body is valid: a 409/422 would hide a refusal) and the other clinic's record is a 404 — so ids cannot
be probed across clinics.  Anonymous requests get 401 everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from api_world import PASSWORD, World
from fastapi import FastAPI
from fastapi.testclient import TestClient

from filiform.services.access.context import PERMISSIONS, Perm, Role

INSERTION = {
    "target_id": "upper_trapezius",
    "side": "left",
    "technique": "trigger_point_dn",
    "needle_length_mm": 30.0,
    "needle_gauge_mm": 0.25,
    "depth_mm": 4.0,  # within the smallest cap over the lung (4 mm): the session check refuses deeper
}
SCREEN = {"intake": {"capacity_to_consent": "yes", "consents_to_needling": "yes"}}

# Exports are disclosures: clinical readers may export, and so may the clinic admin
# (data portability); see filiform.fhir.exporter.
EXPORT = "export"

# (method, path with {p}, body, permission)
PATIENT_ENDPOINTS: list[tuple[str, str, Any, Perm | str]] = [
    ("GET", "/api/fhir/Patient/{p}/$everything", None, EXPORT),
    ("GET", "/api/patients/{p}", None, Perm.READ_DEMOGRAPHICS),
    ("GET", "/api/patients/{p}/timeline", None, Perm.READ_CLINICAL),
    ("GET", "/api/amendments/patient/{p}", None, Perm.READ_DEMOGRAPHICS),
    ("POST", "/api/patients/{p}/consents", {"form_version": "v2", "consented_on": "2024-02-01"}, Perm.WRITE_CLINICAL),
    ("POST", "/api/patients/{p}/screenings", SCREEN, Perm.WRITE_CLINICAL),
    (
        "POST",
        "/api/patients/{p}/drawings",
        {"drawn_on": "2024-02-01", "regions": [{"region": "right-temple-middle", "intensity": 4}]},
        Perm.WRITE_CLINICAL,
    ),
    (
        "POST",
        "/api/patients/{p}/episodes",
        {"condition": "Neck pain", "icd10_codes": ["M54.2"], "opened_on": "2024-02-01"},
        Perm.WRITE_CLINICAL,
    ),
    (
        "POST",
        "/api/patients/{p}/measures",
        {"instrument_id": "nprs", "answers": [5], "completed_on": "2024-02-01"},
        Perm.WRITE_CLINICAL,
    ),
    (
        "POST",
        "/api/patients/{p}/sessions",
        {"started_at": "{later}", "insertions": [INSERTION]},
        Perm.RECORD_NEEDLING,
    ),
    (
        "POST",
        "/api/patients/{p}/adverse-events",
        {
            "occurred_on": "2024-06-01",
            "event_type": "bruising",
            "severity": "minor",
            "onset": "within_24h",
            "action_taken": "none",
            "causality": "probable",
        },
        Perm.REPORT_ADVERSE_EVENT,
    ),
    ("POST", "/api/patients/{p}/plans", {"condition": "myofascial_neck_shoulder", "side": "right"}, Perm.READ_CLINICAL),
    (
        "POST",
        "/api/amendments",
        {
            "entity": "patient",
            "entity_id": "{p}",
            "changes": {"phone": "555-{n}"},
            "reason": "phone number corrected",
            "expected_version": "{version}",
        },
        Perm.WRITE_DEMOGRAPHICS,
    ),
]

CLINIC_ENDPOINTS: list[tuple[str, str, Any, Perm | str | None]] = [
    ("POST", "/api/fhir/$export", None, EXPORT),
    ("GET", "/api/conditions", None, None),
    ("GET", "/api/handouts", None, None),
    ("GET", "/api/instruments/nprs", None, None),
    ("GET", "/api/kb/targets/temporalis", None, None),
    ("GET", "/api/conditions/knee_osteoarthritis", None, None),
    ("GET", "/api/atlas/chart.svg", None, None),
    ("GET", "/api/patients?q=Love", None, Perm.READ_DEMOGRAPHICS),
    (
        "POST",
        "/api/patients",
        {"mrn": "MRN-{n}", "given_name": "Bo", "family_name": "Ng", "birth_date": "1990-05-05", "sex": "male"},
        Perm.WRITE_DEMOGRAPHICS,
    ),
    ("GET", "/api/dashboard", None, Perm.READ_CLINICAL),
    (
        "POST",
        "/api/users",
        {"username": "u{n}", "display_name": "New", "role": "assistant", "password": PASSWORD},
        Perm.MANAGE_USERS,
    ),
    ("GET", "/api/audit", None, Perm.READ_AUDIT),
    ("GET", "/api/users", None, Perm.MANAGE_USERS),
    ("GET", "/api/auth/me", None, None),
    ("GET", "/api/atlas/regions", None, None),
    ("GET", "/api/kb/targets?q=trapezius", None, None),
    ("GET", "/api/instruments", None, None),
    ("POST", "/api/measures/score", {"instrument_id": "nprs", "answers": [3]}, None),
    ("POST", "/api/match", {"regions": [{"region": "right-temple-middle", "intensity": 5}]}, None),
    ("POST", "/api/screening/evaluate", SCREEN, None),
    ("GET", "/api/handouts/lateral_elbow_tendinopathy?technique=trigger_point_dn", None, None),
]

ROLES = [r.value for r in Role]

# Endpoints deliberately outside the matrix, each with the test that covers it.
EXEMPT = {
    ("GET", "/api/auth/csrf"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/logout"),  # tests/app
    ("POST", "/api/auth/totp"),
    ("POST", "/api/auth/totp/confirm"),  # tests/app TOTP tests
    ("GET", "/api/amendments/{entity}/{entity_id}"),  # matrix row /api/amendments/patient/{p}
    ("POST", "/api/users/{user_id}/deactivate"),  # test_api_endpoints (admin only)
    # Account life cycle, each a role and state check of its own: tests/app/test_app_accounts.py
    ("POST", "/api/auth/password"),
    ("POST", "/api/auth/reset"),
    ("POST", "/api/auth/totp/disable"),
    ("POST", "/api/users/{user_id}/reset-password"),
    ("POST", "/api/users/{user_id}/reactivate"),
    ("GET", "/api/fhir/$export/{job_id}/{name}"),  # tests/fhir (clinic-scoped files, front desk refused)
    # Bulk export status / cancel, clinic-scoped (other clinic -> 404):
    # tests/fhir/test_fhir_async_export.py::test_other_clinic_sees_nothing
    ("GET", "/api/fhir/$export/{job_id}"),
    ("DELETE", "/api/fhir/$export/{job_id}"),
    # SMART Backend Services and Bulk Data, with bearer tokens and scopes of their own:
    # tests/fhir/test_fhir_bulk_client.py (token errors, scopes, deactivation, every error an OperationOutcome)
    ("POST", "/api/fhir/auth/token"),  # authenticated by the signed assertion, not a session
    ("GET", "/api/fhir/metadata"),  # public by the SMART and FHIR specifications
    ("GET", "/api/fhir/.well-known/smart-configuration"),  # public discovery
    ("GET", "/api/smart/clients"),  # manage_users (admin): test_fhir_bulk_client registers as admin
    ("POST", "/api/smart/clients"),
    ("POST", "/api/smart/clients/{client_id}/deactivate"),
    ("GET", "/api/fhir/$export"),  # the same handler as the POST kick-off in the matrix
    ("GET", "/api/fhir/Patient/$export"),
    ("POST", "/api/fhir/Patient/$export"),
    ("GET", "/api/fhir/Group/{group_id}/$export"),  # always 404: Filiform keeps no groups
    ("POST", "/api/fhir/Group/{group_id}/$export"),
    ("GET", "/api/fhir/{kind}/{rid}"),  # audited patient read; scopes in test_fhir_bulk_client
    # One diagnosis per episode (front desk refused): tests/fhir/test_fhir_diagnosis.py
    ("GET", "/api/episodes/{episode_id}/diagnosis"),
    ("PUT", "/api/episodes/{episode_id}/diagnosis"),
}

# Async kick-off (Bulk Data IG): 202 Accepted.  429 also proves the role got past the
# permission check: it means this clinic's export from the previous role is still running.
ACCEPTED = {("POST", "/api/fhir/$export"): (202, 429)}


def _allowed(perm: Perm | str | None, role: str) -> bool:
    if perm is None:
        return True
    if perm == EXPORT:
        return Perm.READ_CLINICAL in PERMISSIONS[Role(role)] or Role(role) is Role.ADMIN
    return perm in PERMISSIONS[Role(role)]


def _template(path: str) -> str:
    """'/api/patients/{p}/timeline?x=1' -> '/api/patients/{patient_id}/timeline' style, for coverage."""
    return path.split("?", 1)[0]


def test_every_api_operation_is_in_the_matrix_or_exempt(app: FastAPI) -> None:
    import re

    listed = [(m, _template(p)) for m, p, _, _ in [*PATIENT_ENDPOINTS, *CLINIC_ENDPOINTS]]
    missing = []
    for path, ops in app.openapi()["paths"].items():
        if not path.startswith("/api/"):
            continue
        pattern = re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$")
        for method in ops:
            key = (method.upper(), path)
            if key in EXEMPT:
                continue
            concrete = [p.replace("{p}", "1") for m, p in listed if m == method.upper()]
            if not any(pattern.match(p) for p in concrete):
                missing.append(key)
    assert missing == []


_counter = iter(range(10_000))


def _fill(value: Any, pid: int) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v, pid) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, pid) for v in value]
    if value == "{p}":
        return pid
    if value == "{later}":  # after the world's screening, so the session is really recorded
        return datetime.now(UTC).isoformat()
    if isinstance(value, str) and "{n}" in value:
        return value.replace("{n}", str(next(_counter)))
    return value


def _patient_version(world: World, pid: int) -> int:
    engine = sa.create_engine(world.url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT version FROM patient WHERE id = :i"), {"i": pid}).scalar_one())
    finally:
        engine.dispose()


def _call(client: TestClient, method: str, path: str, body: Any) -> int:
    return client.request(method, path, json=body).status_code


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "perm"), PATIENT_ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in PATIENT_ENDPOINTS]
)
def test_patient_endpoints(
    world: World,
    client_for: Callable[[str], TestClient],
    role: str,
    method: str,
    path: str,
    body: Any,
    perm: Perm | str,
) -> None:
    client = client_for(f"{role}_a")
    allowed = _allowed(perm, role)
    for clinic in ("a", "b"):
        pid = world.patient[clinic]
        filled = _fill(body, pid)
        if isinstance(filled, dict) and filled.get("expected_version") == "{version}":
            filled["expected_version"] = _patient_version(world, pid)  # earlier roles amended it
        status = _call(client, method, path.format(p=pid), filled)
        if not allowed:
            assert status == 403, (role, clinic, status)
        elif clinic == "a":
            assert status in (200, 201), (role, clinic, status)  # a 409 is a refusal, not access
        else:
            assert status == 404, (role, clinic, status)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("method", "path", "body", "perm"), CLINIC_ENDPOINTS, ids=[f"{m} {p}" for m, p, _, _ in CLINIC_ENDPOINTS]
)
def test_clinic_endpoints(
    client_for: Callable[[str], TestClient], role: str, method: str, path: str, body: Any, perm: Perm | str | None
) -> None:
    status = _call(client_for(f"{role}_a"), method, path, _fill(body, 0))
    if _allowed(perm, role):
        assert status in ACCEPTED.get((method, path), (200, 201)), (role, path, status)
    else:
        assert status == 403, (role, path, status)


def test_search_never_returns_other_clinic(world: World, client_for: Callable[[str], TestClient]) -> None:
    rows = client_for("front_desk_a").get("/api/patients?q=Love").json()["data"]
    assert {r["id"] for r in rows} == {world.patient["a"]}


def test_unknown_and_other_clinic_ids_look_the_same(world: World, client_for: Callable[[str], TestClient]) -> None:
    client = client_for("clinician_a")
    other = client.get(f"/api/patients/{world.patient['b']}").json()
    missing = client.get("/api/patients/999999").json()
    assert other["code"] == missing["code"] == "not_found"


def test_anonymous_gets_401_everywhere(app: FastAPI, world: World) -> None:
    client = TestClient(app)
    token = client.get("/api/auth/csrf").json()["data"]["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    for method, path, body, _ in [*PATIENT_ENDPOINTS, *CLINIC_ENDPOINTS]:
        pid = world.patient["a"]
        response = client.request(method, path.format(p=pid), json=_fill(body, pid))
        assert response.status_code == 401, (method, path, response.status_code)
        body = response.json()
        if path.startswith("/api/fhir/"):  # FHIR errors are OperationOutcomes
            assert body["resourceType"] == "OperationOutcome", body
            assert body["issue"][0]["details"]["text"] == "not_authenticated", body
        else:
            assert body["code"] == "not_authenticated"
