"""A Bulk Data client written from the specifications, against the real application.

It follows SMART Backend Services (v2) and Bulk Data Access (STU2) as a third-party
client would: an administrator registers the client's public JWKS; the client discovers
the token endpoint in ``.well-known/smart-configuration``, signs a client assertion
(RS384, or ES384) with its private key, gets a bearer token, kicks off
``$export?_type=Patient,Procedure&_since=...``, polls the status URL, downloads every
file with the token, and DELETEs the job. Every error body is checked to be an
OperationOutcome (``application/fhir+json``); the token endpoint's are OAuth errors.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from fhir_world import Clinic
from httpx import Response
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from filiform.app.factory import create_app
from filiform.services.access import users
from filiform.services.access.context import Role
from filiform.services.records import amendments
from filiform.storage.engine import make_engine, session_factory, transaction

PASSWORD = "correct horse battery staple"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
FHIR = "/api/fhir"


@dataclass
class World:
    app: FastAPI
    since: datetime
    amended_patient: int


@pytest.fixture(scope="module")
def world(demo_clinic: Clinic, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("bulk-client")
    src, dst = sqlite3.connect(demo_clinic.url.removeprefix("sqlite:///")), sqlite3.connect(root / "copy.db")
    src.backup(dst)
    src.close()
    dst.close()
    url = f"sqlite:///{root / 'copy.db'}"
    engine = make_engine(url)
    time.sleep(0.01)
    since = datetime.now(UTC)
    time.sleep(0.01)
    with transaction(session_factory(engine)) as s:
        users.create_user(
            s, actor=demo_clinic.admin, username="smart-admin", display_name="A", role=Role.ADMIN, password=PASSWORD
        )
        users.create_user(
            s, actor=demo_clinic.admin, username="bulk-reader", display_name="R", role=Role.CLINICIAN, password=PASSWORD
        )
        amendments.amend(
            s,
            actor=demo_clinic.clinician,
            entity="patient",
            entity_id=demo_clinic.patient_id,
            changes={"phone": "555-0199"},
            reason="patient gave a new number",
            expected_version=_version(s, demo_clinic.patient_id),
        )
    engine.dispose()
    app = create_app(url)
    yield World(app, since, demo_clinic.patient_id)
    app.state.engine.dispose()


def _version(s: Any, patient_id: int) -> int:
    from filiform.storage.models import Patient

    row = s.get(Patient, patient_id)
    assert row is not None
    return int(row.version)


def _login(app: FastAPI, username: str) -> TestClient:
    client = TestClient(app)
    client.headers["X-CSRF-Token"] = client.get("/api/auth/csrf").json()["data"]["csrf_token"]
    got = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert got.status_code == 200, got.text
    return client


@dataclass
class Registered:
    client_id: str
    key: Any
    alg: str
    kid: str


def _register(world: World, scope: str = "system/*.read", kind: str = "RSA") -> Registered:
    kid = uuid.uuid4().hex[:8]
    key: Any = (
        RSAKey.generate_key(2048, parameters={"kid": kid})
        if kind == "RSA"
        else ECKey.generate_key("P-384", parameters={"kid": kid})
    )
    admin = _login(world.app, "smart-admin")
    got = admin.post(
        "/api/smart/clients",
        json={
            "name": "Registry",
            "username": "bulk-reader",
            "scope": scope,
            "jwks": {"keys": [key.as_dict(private=False)]},
        },
    )
    admin.close()
    assert got.status_code == 201, got.text
    return Registered(got.json()["data"]["client_id"], key, "RS384" if kind == "RSA" else "ES384", kid)


def _assertion(reg: Registered, aud: str, *, life: int = 240, jti: str | None = None) -> str:
    claims = {"iss": reg.client_id, "sub": reg.client_id, "aud": aud, "exp": int(time.time()) + life}
    claims["jti"] = jti or uuid.uuid4().hex
    header = {"alg": reg.alg, "kid": reg.kid, "typ": "JWT"}
    return jwt.encode(header, claims, reg.key, algorithms=[reg.alg])


def _token_endpoint(http: TestClient) -> str:
    config = http.get(f"{FHIR}/.well-known/smart-configuration")
    assert config.status_code == 200
    body = config.json()
    assert "client_credentials" in body["grant_types_supported"]
    assert {"RS384", "ES384"} <= set(body["token_endpoint_auth_signing_alg_values_supported"])
    return str(body["token_endpoint"])


def _token(http: TestClient, reg: Registered, scope: str = "system/*.read", **kw: Any) -> Response:
    url = _token_endpoint(http)
    form = {
        "grant_type": "client_credentials",
        "scope": scope,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": kw.pop("assertion", None) or _assertion(reg, url, **kw),
    }
    return http.post(url.removeprefix("http://testserver"), data=form)


def _outcome(got: Response, status: int) -> None:
    assert got.status_code == status, got.text
    assert got.headers["content-type"].startswith("application/fhir+json")
    body = got.json()
    assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["severity"] == "error"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json", "Prefer": "respond-async"}


def _path(url: str) -> str:
    assert url.startswith("http://testserver/"), url  # absolute URLs, as the IG requires
    return url.removeprefix("http://testserver")


def test_standard_flow_end_to_end(world: World) -> None:
    reg = _register(world)
    http = TestClient(world.app)  # no cookies: a token is the only credential
    granted = _token(http, reg)
    assert granted.status_code == 200, granted.text
    token = granted.json()
    assert token["token_type"] == "bearer" and 0 < token["expires_in"] <= 300 and token["scope"] == "system/*.read"
    headers = _bearer(token["access_token"])
    since = world.since.isoformat().replace("+00:00", "Z")
    kicked = http.get(f"{FHIR}/$export", params={"_type": "Patient,Procedure", "_since": since}, headers=headers)
    assert kicked.status_code == 202, kicked.text
    status_url = _path(kicked.headers["Content-Location"])
    deadline = time.monotonic() + 60
    while (polled := http.get(status_url, headers=headers)).status_code == 202:
        assert polled.headers["X-Progress"] and int(polled.headers["Retry-After"]) > 0
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert polled.status_code == 200 and polled.headers["Expires"]
    manifest = polled.json()
    assert manifest["requiresAccessToken"] is True and manifest["request"].startswith("http://testserver/")
    resources: list[dict[str, Any]] = []
    for out in manifest["output"]:
        assert out["type"] in ("Patient", "Procedure")
        got = http.get(_path(out["url"]), headers=headers)
        assert got.status_code == 200 and got.headers["content-type"].startswith("application/fhir+ndjson")
        resources += [json.loads(line) for line in got.text.splitlines()]
        assert TestClient(world.app).get(_path(out["url"])).status_code == 401  # the token is required
    # _since: only what changed after it (the amended patient), each with meta.lastUpdated
    assert [(r["resourceType"], r["id"]) for r in resources] == [("Patient", str(world.amended_patient))]
    assert all(datetime.fromisoformat(r["meta"]["lastUpdated"]) > world.since for r in resources)
    read = http.get(f"{FHIR}/Patient/{world.amended_patient}", headers=headers)
    assert read.status_code == 200 and read.json()["telecom"][0]["value"] == "555-0199"
    assert http.delete(status_url, headers=headers).status_code == 202
    _outcome(http.get(status_url, headers=headers), 404)


def test_without_since_the_types_asked_for_all_come(world: World) -> None:
    reg = _register(world, kind="EC")
    http = TestClient(world.app)
    headers = _bearer(_token(http, reg).json()["access_token"])
    body = {"resourceType": "Parameters", "parameter": [{"name": "_type", "valueString": "Procedure"}]}
    kicked = http.post(f"{FHIR}/$export", json=body, headers=headers)
    assert kicked.status_code == 202, kicked.text
    status_url = _path(kicked.headers["Content-Location"])
    while (polled := http.get(status_url, headers=headers)).status_code == 202:
        time.sleep(0.05)
    manifest = polled.json()
    assert [o["type"] for o in manifest["output"]] == ["Procedure"] and manifest["output"][0]["count"] > 0
    assert http.delete(status_url, headers=headers).status_code == 202


def test_refused_assertions_are_oauth_errors(world: World) -> None:
    reg = _register(world)
    http = TestClient(world.app)
    url = _token_endpoint(http)
    used = _assertion(reg, url)
    assert _token(http, reg, assertion=used).status_code == 200
    replay = _token(http, reg, assertion=used)
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"  # jti replay
    assert _token(http, reg, life=600).json()["error"] == "invalid_client"  # exp more than 5 minutes ahead
    assert _token(http, reg, life=-120).json()["error"] == "invalid_client"  # expired
    stranger = Registered(reg.client_id, RSAKey.generate_key(2048, parameters={"kid": reg.kid}), "RS384", reg.kid)
    assert _token(http, stranger).json()["error"] == "invalid_client"  # not the registered key
    wrong_aud = _assertion(reg, "http://elsewhere/token")
    assert _token(http, reg, assertion=wrong_aud).json()["error"] == "invalid_client"
    assert _token(http, reg, scope="system/*.write").json()["error"] == "invalid_scope"
    assert _token(http, reg, scope="user/*.read").json()["error"] == "invalid_scope"
    weak = RSAKey.generate_key(2048, parameters={"kid": reg.kid})
    rs256 = jwt.encode({"alg": "RS256", "kid": reg.kid}, {"iss": reg.client_id}, weak)
    assert _token(http, reg, assertion=rs256).json()["error"] == "invalid_client"


def test_token_errors_and_scopes_on_fhir_endpoints(world: World) -> None:
    reg = _register(world, scope="system/Patient.read")
    http = TestClient(world.app)
    granted = _token(http, reg, scope="system/*.read")  # narrowed to what was registered
    assert granted.json()["scope"] == "system/Patient.read"
    headers = _bearer(granted.json()["access_token"])
    assert http.get(f"{FHIR}/Patient/{world.amended_patient}", headers=headers).status_code == 200
    _outcome(http.get(f"{FHIR}/Condition/1", headers=headers), 403)
    _outcome(http.get(f"{FHIR}/$export", params={"_type": "Procedure"}, headers=headers), 403)
    _outcome(http.get(f"{FHIR}/Patient/{world.amended_patient}", headers=_bearer("not-a-token")), 401)
    _outcome(http.get(f"{FHIR}/Patient/999999", headers=headers), 404)
    _outcome(http.get(f"{FHIR}/$export", params={"_since": "last week"}, headers=headers), 400)
    _outcome(http.post(f"{FHIR}/$export", content=b"[1]", headers=headers), 400)
    _outcome(http.get(f"{FHIR}/Group/7/$export", headers=headers), 404)
    refused = http.post("/api/patients", json={}, headers=headers)  # a token only reads
    assert refused.status_code == 403


def test_capability_statement_and_deactivation(world: World) -> None:
    http = TestClient(world.app)
    cap = http.get(f"{FHIR}/metadata")
    assert cap.status_code == 200 and cap.headers["content-type"].startswith("application/fhir+json")
    body = cap.json()
    assert body["resourceType"] == "CapabilityStatement" and body["fhirVersion"] == "4.0.1"
    assert any(op["name"] == "export" for op in body["rest"][0]["operation"])
    reg = _register(world)
    headers = _bearer(_token(http, reg).json()["access_token"])
    assert http.get(f"{FHIR}/Patient/{world.amended_patient}", headers=headers).status_code == 200
    admin = _login(world.app, "smart-admin")
    assert admin.post(f"/api/smart/clients/{reg.client_id}/deactivate").status_code == 200
    admin.close()
    _outcome(http.get(f"{FHIR}/Patient/{world.amended_patient}", headers=headers), 401)
    assert _token(http, reg).json()["error"] == "invalid_client"


def test_expired_token_is_refused(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from filiform.services.access import smart

    reg = _register(world)
    http = TestClient(world.app)
    monkeypatch.setattr(smart, "TOKEN_LIFE", timedelta(seconds=-1))
    headers = _bearer(_token(http, reg).json()["access_token"])
    _outcome(http.get(f"{FHIR}/Patient/{world.amended_patient}", headers=headers), 401)
