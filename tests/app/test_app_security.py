"""Cookies, CSRF, headers, idle log-off, login throttling, TOTP and access auditing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import cast

import pyotp
import pytest
import sqlalchemy as sa
from api_world import PASSWORD, World, build_world, login
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from filiform.app.factory import create_app
from filiform.services.access import auth_sessions
from filiform.services.access.auth_sessions import COOKIE_NAME
from filiform.services.access.login_throttle import LoginThrottle
from filiform.storage.engine import transaction
from filiform.storage.models import AuditLog


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    path: Path = tmp_path_factory.mktemp("app") / "filiform.db"
    return build_world(f"sqlite:///{path}")


@pytest.fixture(scope="module")
def shared_app(world: World) -> Iterator[FastAPI]:
    """One app per module (migrating and building it per test was most of the run time)."""
    application = create_app(world.url, throttle=LoginThrottle(max_per_user=3, max_per_client=6))
    yield application
    application.state.engine.dispose()


@pytest.fixture
def app(shared_app: FastAPI) -> FastAPI:
    """The shared app with a fresh login throttle, so a test that trips it cannot block the next."""
    with transaction(shared_app.state.sessions) as s:
        shared_app.state.login_throttle.reset(s)
    return shared_app


def _csrf(client: TestClient) -> str:
    token: str = client.get("/api/auth/csrf").json()["data"]["csrf_token"]
    return token


def test_session_cookie_flags_on_loopback_and_elsewhere(app: FastAPI) -> None:
    for base, secure in (("http://127.0.0.1", False), ("https://clinic.example", True)):
        client = TestClient(app, base_url=base)
        client.headers["X-CSRF-Token"] = _csrf(client)
        r = client.post("/api/auth/login", json={"username": "clinician_a", "password": PASSWORD})
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(COOKIE_NAME))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure
        if secure:
            assert r.headers["strict-transport-security"].startswith("max-age=")


def test_security_headers_everywhere(app: FastAPI) -> None:
    client = TestClient(app)
    for path in ("/api/auth/csrf", "/api/nowhere", "/openapi.json"):
        h = client.get(path).headers
        assert "script-src 'self'" in h["content-security-policy"]
        assert "unsafe-inline" not in h["content-security-policy"].split("script-src")[1].split(";")[0]
        assert h["x-frame-options"] == "DENY"
        assert h["x-content-type-options"] == "nosniff"
        assert h["referrer-policy"] == "no-referrer"
        assert "camera=()" in h["permissions-policy"]
        assert "strict-transport-security" not in h


def test_csrf_rejects_unsafe_methods_without_matching_token(app: FastAPI) -> None:
    client = TestClient(app)
    body = {"username": "clinician_a", "password": PASSWORD}
    r = client.post("/api/auth/login", json=body)  # no cookie yet
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
    token = _csrf(client)
    assert client.post("/api/auth/login", json=body).status_code == 403  # cookie, no header
    r = client.post("/api/auth/login", json=body, headers={"X-CSRF-Token": "x" * 43})
    assert r.status_code == 403
    r = client.post("/api/auth/login", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 200


def test_csrf_form_field_is_accepted_and_body_still_reaches_the_endpoint(app: FastAPI) -> None:
    client = TestClient(app)
    token = _csrf(client)
    # a form post to a JSON endpoint: CSRF passes, then the endpoint's own validation answers
    r = client.post("/api/auth/login", data={"csrf_token": token, "username": "x"})
    assert r.status_code == 422
    r = client.post("/api/auth/login", data={"csrf_token": "wrong", "username": "x"})
    assert r.status_code == 403


def test_idle_timeout_logs_off(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The session service's clock is moved forward instead of sleeping."""
    offset = {"now": timedelta(0)}

    class Clock(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Clock:  # type: ignore[override]
            return cast(Clock, datetime.now(tz) + offset["now"])

    monkeypatch.setattr(auth_sessions, "datetime", Clock)
    app = create_app(world.url, idle=timedelta(minutes=15))
    client = login(TestClient(app), "clinician_a")
    assert client.get("/api/auth/me").status_code == 200
    offset["now"] = timedelta(minutes=14, seconds=50)
    assert client.get("/api/auth/me").status_code == 200  # still inside the idle time (and touched)
    offset["now"] += timedelta(minutes=15, seconds=1)
    r = client.get("/api/auth/me")
    assert r.status_code == 401
    assert any(c.startswith(f"{COOKIE_NAME}=;") and "Max-Age=0" in c for c in r.headers.get_list("set-cookie"))


def test_logout_ends_the_server_side_session(app: FastAPI) -> None:
    client = login(TestClient(app), "assistant_a")
    stolen = client.cookies.get(COOKIE_NAME)
    assert client.post("/api/auth/logout").status_code == 200
    replay = TestClient(app)
    replay.cookies.set(COOKIE_NAME, stolen or "")
    assert replay.get("/api/auth/me").status_code == 401


def test_login_rate_limit_per_username_and_client(app: FastAPI) -> None:
    client = TestClient(app)
    client.headers["X-CSRF-Token"] = _csrf(client)
    codes = [
        client.post("/api/auth/login", json={"username": "front_desk_a", "password": "wrong password!"}).status_code
        for _ in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    r = client.post("/api/auth/login", json={"username": "front_desk_a", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    for n in range(3):  # other usernames from the same address: the client limit trips
        client.post("/api/auth/login", json={"username": f"nobody{n}", "password": "x"})
    r = client.post("/api/auth/login", json={"username": "admin_a", "password": PASSWORD})
    assert r.status_code == 429


def test_totp_enrolment_and_login(world: World, app: FastAPI) -> None:
    client = login(TestClient(app), "clinician_b")
    uri = client.post("/api/auth/totp", json={"password": PASSWORD}).json()["data"]["provisioning_uri"]
    totp = pyotp.parse_uri(uri)
    assert isinstance(totp, pyotp.TOTP)
    assert client.post("/api/auth/totp/confirm", json={"code": "000000"}).status_code == 422
    spent = totp.now()
    assert client.post("/api/auth/totp/confirm", json={"code": spent}).status_code == 200
    fresh = TestClient(app)
    fresh.headers["X-CSRF-Token"] = _csrf(fresh)
    body = {"username": "clinician_b", "password": PASSWORD}
    r = fresh.post("/api/auth/login", json=body)
    assert r.status_code == 401 and r.json()["code"] == "totp_required"
    r = fresh.post("/api/auth/login", json={**body, "totp": spent})  # replay of the confirmation code
    assert r.status_code == 401 and r.json()["code"] == "totp_required"
    # the current code was spent on confirmation; the next step's code is accepted
    import time

    r = fresh.post("/api/auth/login", json={**body, "totp": totp.at(time.time() + 30)})
    assert r.status_code == 200


def test_patient_reads_write_access_audit_rows_without_phi(world: World, app: FastAPI) -> None:
    client = login(TestClient(app), "clinician_a")
    engine = app.state.engine
    with engine.connect() as conn:
        before = conn.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    pid = world.patient["a"]
    assert client.get(f"/api/patients/{pid}?q=Lovelace").status_code == 200
    assert client.get(f"/api/patients/{world.patient['b']}").status_code == 404
    with Session(engine) as s:
        rows = s.execute(sa.select(AuditLog).order_by(AuditLog.id.desc()).limit(10)).scalars().all()
        after = s.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    assert after is not None and before is not None and after >= before + 3
    access = [r for r in rows if r.action == "access"]
    assert {r.patient_id for r in access} >= {pid, world.patient["b"]}
    assert any(r.action == "read" and r.entity == "patient" for r in rows)
    for r in rows:
        assert "Lovelace" not in r.detail and "Ada" not in r.detail
