"""The access policy of docs/security.md, written out by hand: role x endpoint x clinic.

Nothing here is computed from ``PERMISSIONS``: each row names the roles the written policy
allows (C clinician, A assistant, F front desk, M admin) and the exact status an allowed
request gets in its own clinic.  A domain refusal (409/422) is never accepted as success:
every body here is valid, so an allowed role that gets anything but the exact status is a
failure.  The other clinic's record is a 404 for allowed roles (ids cannot be probed), a
refused role gets 403 before any lookup.  A second test pins ``PERMISSIONS`` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from api_world import World
from fastapi.testclient import TestClient

from filiform.services.access.context import PERMISSIONS, Perm, Role

ROLE = {"C": "clinician", "A": "assistant", "F": "front_desk", "M": "admin"}

# The policy table of docs/security.md ("Access policy"), transcribed by hand.
POLICY: dict[Role, set[Perm]] = {
    Role.CLINICIAN: {
        Perm.READ_DEMOGRAPHICS,
        Perm.WRITE_DEMOGRAPHICS,
        Perm.READ_CLINICAL,
        Perm.WRITE_CLINICAL,
        Perm.RECORD_NEEDLING,
        Perm.REPORT_ADVERSE_EVENT,
        Perm.AMEND_CLINICAL,
    },
    Role.ASSISTANT: {Perm.READ_DEMOGRAPHICS, Perm.READ_CLINICAL, Perm.WRITE_CLINICAL, Perm.REPORT_ADVERSE_EVENT},
    Role.FRONT_DESK: {Perm.READ_DEMOGRAPHICS, Perm.WRITE_DEMOGRAPHICS},
    Role.ADMIN: {Perm.READ_DEMOGRAPHICS, Perm.MANAGE_USERS, Perm.READ_AUDIT},
}


def test_permissions_table_is_the_written_policy() -> None:
    assert {role: set(perms) for role, perms in PERMISSIONS.items()} == POLICY


def _later() -> str:
    """Now: after the world's screening (recorded when the world was built), never in the future."""
    return datetime.now(UTC).isoformat()


INSERTION = {
    "target_id": "upper_trapezius",
    "side": "left",
    "technique": "trigger_point_dn",
    "needle_length_mm": 30.0,
    "needle_gauge_mm": 0.25,
    "depth_mm": 4.0,  # within the smallest cap over the lung (4 mm): the session check refuses deeper
}
INTAKE = {"capacity_to_consent": "yes", "consents_to_needling": "yes"}

# (method, path with {p}, body (callable: (world, patient id) -> body), allowed roles, status when allowed)
Body = Callable[[World, int], Any] | None
PATIENT_ROWS: list[tuple[str, str, Body, str, int]] = [
    ("GET", "/api/patients/{p}", None, "CAFM", 200),
    ("GET", "/api/patients/{p}/timeline", None, "CA", 200),
    ("GET", "/api/amendments/patient/{p}", None, "CAFM", 200),
    ("GET", "/api/fhir/Patient/{p}/$everything", None, "CAM", 200),
    (
        "POST",
        "/api/patients/{p}/consents",
        lambda w, p: {"form_version": "v2", "consented_on": "2024-02-01"},
        "CA",
        201,
    ),
    ("POST", "/api/patients/{p}/screenings", lambda w, p: {"intake": INTAKE}, "CA", 201),
    (
        "POST",
        "/api/patients/{p}/drawings",
        lambda w, p: {"drawn_on": "2024-02-01", "regions": [{"region": "right-temple-middle", "intensity": 4}]},
        "CA",
        201,
    ),
    (
        "POST",
        "/api/patients/{p}/episodes",
        lambda w, p: {"condition": "Neck pain", "icd10_codes": ["M54.2"], "opened_on": "2024-02-01"},
        "CA",
        201,
    ),
    (
        "POST",
        "/api/patients/{p}/measures",
        lambda w, p: {"instrument_id": "nprs", "answers": [5], "completed_on": "2024-02-01"},
        "CA",
        201,
    ),
    ("POST", "/api/patients/{p}/sessions", lambda w, p: {"started_at": _later(), "insertions": [INSERTION]}, "C", 201),
    (
        "POST",
        "/api/patients/{p}/adverse-events",
        lambda w, p: {
            "occurred_on": "2024-06-01",
            "event_type": "bruising",
            "severity": "minor",
            "onset": "within_24h",
            "action_taken": "none",
            "causality": "probable",
        },
        "CA",
        201,
    ),
    (
        "POST",
        "/api/patients/{p}/plans",
        lambda w, p: {"condition": "myofascial_neck_shoulder", "side": "right"},
        "CA",
        200,
    ),
    (
        "POST",
        "/api/amendments",
        lambda w, p: {
            "entity": "patient",
            "entity_id": p,
            "changes": {"phone": f"555-{datetime.now(UTC).microsecond:06d}"},
            "reason": "phone number corrected",
            "expected_version": _version(w, "patient", p),
        },
        "CF",
        201,
    ),
    (
        "POST",
        "/api/amendments",
        lambda w, p: {
            "entity": "consent",
            "entity_id": _consent_of(w, p),
            "changes": {"notes": f"checked {datetime.now(UTC).isoformat()}"},
            "reason": "note added after review",
            "expected_version": _version(w, "consent", _consent_of(w, p)),
        },
        "C",
        201,
    ),
]

CLINIC_ROWS: list[tuple[str, str, Any, str, int]] = [
    ("GET", "/api/patients?q=Love", None, "CAFM", 200),
    (
        "POST",
        "/api/patients",
        {"mrn": "MRN-{n}", "given_name": "Bo", "family_name": "Ng", "birth_date": "1990-05-05", "sex": "male"},
        "CF",
        201,
    ),
    ("GET", "/api/dashboard", None, "CA", 200),
    ("GET", "/api/users", None, "M", 200),
    (
        "POST",
        "/api/users",
        {"username": "p{n}", "display_name": "New", "role": "assistant", "password": "correct horse battery staple"},
        "M",
        201,
    ),
    ("GET", "/api/audit", None, "M", 200),
    ("GET", "/api/auth/me", None, "CAFM", 200),
    ("GET", "/api/kb/targets/temporalis", None, "CAFM", 200),
    ("POST", "/api/screening/evaluate", {"intake": INTAKE}, "CAFM", 200),
]


def _scalar(world: World, sql: str, **params: Any) -> int:
    engine = sa.create_engine(world.url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql), params).scalar_one())
    finally:
        engine.dispose()


def _version(world: World, table: str, row_id: int) -> int:
    return _scalar(world, f"SELECT version FROM {table} WHERE id = :i", i=row_id)


def _consent_of(world: World, patient_id: int) -> int:
    return _scalar(world, "SELECT MIN(id) FROM consent WHERE patient_id = :p", p=patient_id)


_numbers = iter(range(100_000))


def _fill(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _fill(v) for k, v in value.items()}
    if isinstance(value, str) and "{n}" in value:
        return value.replace("{n}", str(next(_numbers)))
    return value


def _code(response: Any) -> str:
    """The refusal's code: the JSON envelope's, or an OperationOutcome's (FHIR routes)."""
    body = response.json()
    if body.get("resourceType") == "OperationOutcome":
        return str(body["issue"][0]["details"]["text"])
    return str(body["code"])


@pytest.mark.parametrize("letter", sorted(ROLE))
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed", "status"),
    PATIENT_ROWS,
    ids=[f"{m} {p} {a}" for m, p, _, a, _ in PATIENT_ROWS],
)
def test_patient_record_policy(
    world: World,
    client_for: Callable[[str], TestClient],
    letter: str,
    method: str,
    path: str,
    body: Body,
    allowed: str,
    status: int,
) -> None:
    client = client_for(f"{ROLE[letter]}_a")
    own, other = world.patient["a"], world.patient["b"]
    mine = client.request(method, path.format(p=own), json=body(world, own) if body else None)
    if letter not in allowed:
        assert (mine.status_code, _code(mine)) == (403, "permission_denied"), mine.text
    else:
        assert mine.status_code == status, mine.text
    theirs = client.request(method, path.format(p=other), json=body(world, other) if body else None)
    expected = (404, "not_found") if letter in allowed else (403, "permission_denied")
    assert (theirs.status_code, _code(theirs)) == expected, theirs.text


@pytest.mark.parametrize("letter", sorted(ROLE))
@pytest.mark.parametrize(
    ("method", "path", "body", "allowed", "status"),
    CLINIC_ROWS,
    ids=[f"{m} {p} {a}" for m, p, _, a, _ in CLINIC_ROWS],
)
def test_clinic_wide_policy(
    client_for: Callable[[str], TestClient], letter: str, method: str, path: str, body: Any, allowed: str, status: int
) -> None:
    response = client_for(f"{ROLE[letter]}_a").request(method, path, json=_fill(body))
    if letter in allowed:
        assert response.status_code == status, response.text
    else:
        assert (response.status_code, _code(response)) == (403, "permission_denied"), response.text


def test_audit_and_user_lists_show_only_the_own_clinic(world: World, client_for: Callable[[str], TestClient]) -> None:
    users = client_for("admin_a").get("/api/users").json()["data"]
    names = {u["username"] for u in users}
    assert {"admin_a", "clinician_a", "assistant_a", "front_desk_a"} <= names
    assert not any(n.endswith("_b") for n in names)


def test_refusals_name_the_role_and_the_right_and_never_the_other_clinic(
    world: World, client_for: Callable[[str], TestClient]
) -> None:
    own, other = world.patient["a"], world.patient["b"]
    refused = client_for("front_desk_a").get(f"/api/patients/{own}/timeline").json()
    assert (refused["code"], refused["error"]) == ("permission_denied", "role 'front_desk' may not read clinical")
    hidden = client_for("clinician_a").get(f"/api/patients/{other}").json()
    missing = client_for("clinician_a").get("/api/patients/999999").json()
    assert (hidden["code"], hidden["error"]) == ("not_found", f"patient {other} not found")
    assert missing["error"] == "patient 999999 not found"
