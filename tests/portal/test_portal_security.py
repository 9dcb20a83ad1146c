"""Patient links refuse what they must: guessed, malformed, expired, reused, revoked and
locked tokens; a link never shows another patient or a clinic page; rate limits hold."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from portal_world import World, make_app, open_as_patient, post, send_link, token_in

from filiform.core.concepts.clock import FixedClock
from filiform.services.portal.throttle import PortalThrottle
from filiform.storage.models import AuditLog, IntakeProposal, Patient, PortalLink


def _forget_limits(app: FastAPI) -> None:
    with app.state.sessions.begin() as s:
        PortalThrottle.reset(s)


@pytest.fixture(autouse=True)
def fresh_limits(app: FastAPI) -> None:
    _forget_limits(app)


def _patients(app: FastAPI) -> list[Patient]:
    with app.state.sessions() as s:
        return list(s.execute(sa.select(Patient).order_by(Patient.id)).scalars())


def _refused(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code in (403, 404), (path, r.status_code)
    assert "cannot be used" in r.text and "Start" not in r.text


def test_guessed_and_malformed_tokens_are_refused(app: FastAPI) -> None:
    anyone = TestClient(app)
    for token in (secrets.token_urlsafe(32), "abc", "x" * 300, "%27%20OR%201=1--"):
        _refused(anyone, f"/p/{token}")


def test_an_expired_link_is_refused(app: FastAPI, staff: Callable[[str], TestClient], clock: FixedClock) -> None:
    patient = _patients(app)[1]
    path = send_link(staff("front_desk"), patient.id, ["intake"])
    clock.advance(timedelta(hours=72, seconds=1))  # the clinic's default lifetime is 72 hours
    try:
        _refused(TestClient(app), path)
    finally:
        clock.advance(-timedelta(hours=72, seconds=1))
    with app.state.sessions() as s:
        assert s.execute(
            sa.select(AuditLog).where(AuditLog.action == "patient_refused", AuditLog.detail.like('%"expired"%'))
        ).first()


def test_a_reused_link_and_a_revoked_one_are_refused(app: FastAPI, staff: Callable[[str], TestClient]) -> None:
    patient = _patients(app)[1]
    desk = staff("front_desk")
    path = send_link(desk, patient.id, ["intake"])
    phone = open_as_patient(app, path)
    _refused(TestClient(app), path)  # the token is spent once the patient started
    assert phone.get("/p/home").status_code == 200
    with app.state.sessions() as s:
        link_id = s.scalar(
            sa.select(PortalLink.id).where(PortalLink.patient_id == patient.id).order_by(PortalLink.id.desc())
        )
    r = post(desk, f"/patients/{patient.id}/portal/links/{link_id}/revoke", {}, page=f"/patients/{patient.id}/portal")
    assert r.status_code == 303
    assert phone.get("/p/home").status_code == 403  # revoking ends the patient's session at once
    unused = send_link(desk, patient.id, ["intake"])
    with app.state.sessions() as s:
        newest = s.scalar(
            sa.select(PortalLink.id).where(PortalLink.patient_id == patient.id).order_by(PortalLink.id.desc())
        )
    post(desk, f"/patients/{patient.id}/portal/links/{newest}/revoke", {}, page=f"/patients/{patient.id}/portal")
    _refused(TestClient(app), unused)


def test_a_link_shows_only_its_own_patient_and_no_clinic_page(app: FastAPI, staff: Callable[[str], TestClient]) -> None:
    first, second = _patients(app)[2], _patients(app)[3]
    phone = open_as_patient(app, send_link(staff("front_desk"), first.id, ["intake", "drawing"]))
    home = phone.get("/p/home")
    assert first.family_name not in home.text and second.family_name not in home.text  # no names at all
    assert "/patients" not in home.text and "Sign out" not in home.text
    for path in (
        "/patients",
        f"/patients/{second.id}",
        f"/patients/{first.id}/portal",
        "/appointments",
        "/portal/inbox",
        "/outbox",
    ):
        r = phone.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
    assert phone.get(f"/api/patients/{second.id}").status_code == 401
    page = phone.get("/p/intake")
    phone.post(
        "/p/intake", data={"acute_illness": "no", "patient_id": str(second.id), "csrf_token": token_in(page.text)}
    )
    with app.state.sessions() as s:
        owners = set(s.execute(sa.select(IntakeProposal.patient_id)).scalars())
    assert second.id not in owners and first.id in owners  # a smuggled patient id changes nothing


def test_a_form_the_link_was_not_sent_for_is_refused(app: FastAPI, staff: Callable[[str], TestClient]) -> None:
    patient = _patients(app)[1]
    phone = open_as_patient(app, send_link(staff("front_desk"), patient.id, ["intake"]))
    assert phone.get("/p/consent").status_code == 422
    assert phone.get("/p/measure/nprs").status_code == 422
    page = phone.get("/p/intake")
    r = phone.post(
        "/p/drawing",
        data={
            "regions_json": json.dumps([{"region": "right-upper-trapezius", "intensity": 5}]),
            "csrf_token": token_in(page.text),
        },
    )
    assert r.status_code == 422


def test_posts_without_the_csrf_token_are_refused(app: FastAPI, staff: Callable[[str], TestClient]) -> None:
    patient = _patients(app)[1]
    phone = open_as_patient(app, send_link(staff("front_desk"), patient.id, ["intake"]))
    assert phone.post("/p/intake", data={"acute_illness": "no"}).status_code == 403


def test_five_wrong_birth_dates_lock_the_link(app: FastAPI, staff: Callable[[str], TestClient]) -> None:
    patient = _patients(app)[1]
    path = send_link(staff("front_desk"), patient.id, ["intake"], dob_check="yes")
    phone = TestClient(app)
    statuses = []
    for _ in range(5):
        page = phone.get(path)
        statuses.append(
            phone.post(path, data={"birth_date": "1900-01-01", "csrf_token": token_in(page.text)}).status_code
        )
    assert statuses == [422, 422, 422, 422, 403]
    _forget_limits(app)
    _refused(phone, path)  # even the right date no longer opens it
    with app.state.sessions() as s:
        assert (
            s.scalar(
                sa.select(PortalLink.failed_checks)
                .where(PortalLink.token_hash.is_not(None))
                .order_by(PortalLink.id.desc())
            )
            == 5
        )


def test_failed_attempts_from_one_client_are_rate_limited(app: FastAPI, staff: Callable[[str], TestClient]) -> None:
    patient = _patients(app)[1]
    good = send_link(staff("front_desk"), patient.id, ["intake"])
    anyone = TestClient(app)
    for _ in range(10):
        assert anyone.get(f"/p/{secrets.token_urlsafe(32)}").status_code == 404
    blocked = anyone.get(good)
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0  # a real link waits too


def test_requests_per_portal_session_are_rate_limited(app: FastAPI, staff: Callable[[str], TestClient]) -> None:
    patient = _patients(app)[1]
    phone = open_as_patient(app, send_link(staff("front_desk"), patient.id, ["intake"]))
    codes = [phone.get("/p/home").status_code for _ in range(121)]
    assert codes[:120] == [200] * 120 and codes[120] == 429


def test_limits_are_shared_by_every_app_process(app: FastAPI, world: World, clock: FixedClock) -> None:
    """Two application instances on one database share the allowance (no per-process counters)."""
    other = make_app(world.url, clock)
    try:
        first, second = TestClient(app), TestClient(other)
        for _ in range(5):
            assert first.get(f"/p/{secrets.token_urlsafe(32)}").status_code == 404
        for _ in range(5):
            assert second.get(f"/p/{secrets.token_urlsafe(32)}").status_code == 404
        assert first.get(f"/p/{secrets.token_urlsafe(32)}").status_code == 429
        assert second.get(f"/p/{secrets.token_urlsafe(32)}").status_code == 429
    finally:
        other.state.engine.dispose()


def test_a_limit_ends_when_its_window_has_passed(app: FastAPI, clock: FixedClock) -> None:
    anyone = TestClient(app)
    for _ in range(10):
        assert anyone.get(f"/p/{secrets.token_urlsafe(32)}").status_code == 404
    blocked = anyone.get(f"/p/{secrets.token_urlsafe(32)}")
    assert blocked.status_code == 429 and 0 < int(blocked.headers["retry-after"]) <= 901
    clock.advance(timedelta(seconds=901))
    try:
        assert anyone.get(f"/p/{secrets.token_urlsafe(32)}").status_code == 404
    finally:
        clock.advance(-timedelta(seconds=901))
