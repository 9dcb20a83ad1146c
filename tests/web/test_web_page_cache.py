"""The cached patient page never crosses a clinic, a role or a session's end, and shows writes.

One app (so one page cache) serves two demo clinics.  Each probe first fills the cache
with a view that is allowed, then asks as someone who must not see it: another clinic's
clinician (404, no name of theirs), a front-desk user of the same clinic (demographics,
none of the clinical sections), a logged-out session (the login page).  A record written
after a cached view is on the next view, and every view is in the audit trail.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio.to_thread
import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_world import form_token, login

from filiform.app.factory import create_app
from filiform.services.access.context import Actor, Role
from filiform.services.operations.demo import generate
from filiform.services.records import page_cache, sessions
from filiform.storage.engine import make_engine, transaction
from filiform.storage.migrate import upgrade
from filiform.storage.models import AuditLog, Patient
from filiform.web import common
from filiform.web import patients as web_patients


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    url = f"sqlite:///{tmp_path_factory.mktemp('pagecache') / 'filiform.db'}"
    engine = make_engine(url)
    upgrade(engine)
    for seed in (31, 32):
        generate(engine, patients=2, seed=seed)
    engine.dispose()
    application = create_app(url)
    yield application
    application.state.engine.dispose()


def _user(app: FastAPI, clinic_rank: int, role: str) -> tuple[str, int, int]:
    """(username, user id, clinic id) of the first ``role`` user of the n-th clinic."""
    with app.state.sessions() as s:
        clinic = s.execute(sa.text("SELECT id FROM clinic ORDER BY id")).scalars().all()[clinic_rank]
        name, uid = s.execute(
            sa.text("SELECT username, id FROM app_user WHERE clinic_id = :c AND role = :r ORDER BY id LIMIT 1"),
            {"c": clinic, "r": role},
        ).one()
    return str(name), int(uid), int(clinic)


def _patient(app: FastAPI, clinic: int) -> Patient:
    with app.state.sessions() as s:
        return s.execute(sa.select(Patient).where(Patient.clinic_id == clinic).order_by(Patient.id)).scalars().first()


def _timeline_views(app: FastAPI, uid: int, patient_id: int) -> int:
    with app.state.sessions() as s:
        return int(
            s.execute(
                sa.select(sa.func.count())
                .select_from(AuditLog)
                .where(AuditLog.user_id == uid, AuditLog.entity == "timeline", AuditLog.patient_id == patient_id)
            ).scalar_one()
        )


def test_another_clinics_clinician_never_gets_the_cached_page(app: FastAPI) -> None:
    name_a, _, clinic_a = _user(app, 0, "clinician")
    name_b, _, _ = _user(app, 1, "clinician")
    patient = _patient(app, clinic_a)
    a, b = login(TestClient(app), name_a), login(TestClient(app), name_b)
    assert a.get(f"/patients/{patient.id}").status_code == 200
    assert a.get(f"/patients/{patient.id}").status_code == 200  # now cached
    other = b.get(f"/patients/{patient.id}")
    assert other.status_code == 404 and patient.family_name not in other.text


def test_a_front_desk_user_does_not_get_the_clinicians_cached_sections(app: FastAPI) -> None:
    doc, _, clinic = _user(app, 0, "clinician")
    desk, _, _ = _user(app, 0, "front_desk")
    patient = _patient(app, clinic)
    clinician = login(TestClient(app), doc).get(f"/patients/{patient.id}")
    assert "<h2>Sessions</h2>" in clinician.text
    front = login(TestClient(app), desk).get(f"/patients/{patient.id}")
    assert front.status_code == 200 and patient.family_name in front.text
    assert "<h2>Sessions</h2>" not in front.text and "Adverse events" not in front.text


def test_a_logged_out_session_gets_the_login_page_not_the_cached_one(app: FastAPI) -> None:
    doc, _, clinic = _user(app, 0, "clinician")
    patient = _patient(app, clinic)
    client = login(TestClient(app), doc)
    page = client.get(f"/patients/{patient.id}")
    assert page.status_code == 200
    r = client.post("/logout", data={"csrf_token": form_token(page.text)}, follow_redirects=False)
    assert r.status_code == 303
    after = client.get(f"/patients/{patient.id}", follow_redirects=False)
    assert after.status_code == 303 and after.headers["location"].startswith("/login")


def test_a_write_after_a_cached_view_is_on_the_next_view_and_every_view_is_audited(app: FastAPI) -> None:
    doc, uid, clinic = _user(app, 0, "clinician")
    patient = _patient(app, clinic)
    client = login(TestClient(app), doc)
    client.get(f"/patients/{patient.id}")
    with app.state.sessions() as s:
        cache = page_cache.cache_for(s)
    seen = _timeline_views(app, uid, patient.id)
    hits = cache.hits
    before = client.get(f"/patients/{patient.id}").text
    assert cache.hits == hits + 1
    actor = Actor(user_id=uid, clinic_id=clinic, role=Role.CLINICIAN, client="test")
    note = "Cached-page probe note"
    with transaction(app.state.sessions) as s:
        sessions.record_session(
            s, actor=actor, patient_id=patient.id,
            documented={"started_at": datetime.now(UTC) - timedelta(minutes=2), "notes": note, "insertions": [{
                "target_id": "upper_trapezius", "side": "right", "technique": "trigger_point_dn",
                "needle_length_mm": 30, "needle_gauge_mm": 0.25, "depth_mm": 15, "twitch_responses": 1,
                "retention_s": 60}]},
        )  # fmt: skip
    after = client.get(f"/patients/{patient.id}").text
    assert after != before and after.count("/sessions/") == before.count("/sessions/") + 1
    assert _timeline_views(app, uid, patient.id) == seen + 2  # the hit and the miss after the write


def _bump(app: FastAPI, patient_id: int) -> None:
    """Move the patient's record version (any write would), so the next view must build."""
    with transaction(app.state.sessions) as s:
        s.execute(sa.update(Patient).where(Patient.id == patient_id).values(given_name=Patient.given_name))


def _page_hand_overs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A list that gets one entry each time a page body is handed to a worker thread."""
    hand_overs: list[str] = []
    real = anyio.to_thread.run_sync

    async def counted(func: Any, *args: Any, **kwargs: Any) -> Any:
        if func is common.run_page:  # other hand-overs (a session look-up) are not the page's
            hand_overs.append("run_page")
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    return hand_overs


def test_a_cached_view_is_answered_on_the_event_loop_and_a_changed_one_is_built_in_a_thread(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc, uid, clinic = _user(app, 0, "clinician")
    patient = _patient(app, clinic)
    client = login(TestClient(app), doc)
    hand_overs = _page_hand_overs(monkeypatch)
    _bump(app, patient.id)
    seen = _timeline_views(app, uid, patient.id)
    built = client.get(f"/patients/{patient.id}")
    assert built.status_code == 200 and hand_overs == ["run_page"]
    cached = client.get(f"/patients/{patient.id}")
    assert cached.status_code == 200 and hand_overs == ["run_page"]  # no hand-over for the hit
    assert cached.text == built.text
    assert _timeline_views(app, uid, patient.id) == seen + 2  # both audited alike
    other_doc, _, _ = _user(app, 1, "clinician")  # another clinic: still NotFound on the loop
    assert login(TestClient(app), other_doc).get(f"/patients/{patient.id}").status_code == 404
    assert hand_overs == ["run_page"]


def test_at_most_page_builds_patient_pages_are_built_at_once(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    doc, _, clinic = _user(app, 0, "clinician")
    patient = _patient(app, clinic)
    cookies = dict(login(TestClient(app), doc).cookies.items())
    running, most = 0, 0
    guard = threading.Lock()
    real = web_patients._summary

    def slow_summary(*args: Any, **kwargs: Any) -> Any:
        nonlocal running, most
        with guard:
            running += 1
            most = max(most, running)
        try:
            time.sleep(0.05)  # long enough for every request to be waiting to build
            return real(*args, **kwargs)
        finally:
            with guard:
                running -= 1

    monkeypatch.setattr(web_patients, "_summary", slow_summary)
    _bump(app, patient.id)

    async def views() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", cookies=cookies) as c:
            answers = await asyncio.gather(*(c.get(f"/patients/{patient.id}") for _ in range(3 * common.PAGE_BUILDS)))
        return [a.status_code for a in answers]

    # its own thread: a browser test earlier in the same worker may leave an event loop
    # running in this one, where asyncio.run() refuses to start
    with ThreadPoolExecutor(1) as pool:
        codes = pool.submit(asyncio.run, views()).result(timeout=120)
    assert codes == [200] * (3 * common.PAGE_BUILDS)
    assert most == common.PAGE_BUILDS  # builds overlapped, never more than the bound


def test_the_patient_page_on_either_database_hits_the_cache_off_the_loop_only_on_postgresql(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite answers a hit on the event loop; PostgreSQL (a network round trip) hands every
    view to a worker thread.  Both serve the same page from the cache."""
    engine = make_engine(db_url)
    upgrade(engine)
    generate(engine, patients=1, seed=33)
    engine.dispose()
    application = create_app(db_url)
    try:
        doc, _, clinic = _user(application, 0, "clinician")
        patient = _patient(application, clinic)
        client = login(TestClient(application), doc)
        hand_overs = _page_hand_overs(monkeypatch)
        with application.state.sessions() as s:
            cache = page_cache.cache_for(s)
        first = client.get(f"/patients/{patient.id}")
        hits = cache.hits
        second = client.get(f"/patients/{patient.id}")
        assert first.status_code == second.status_code == 200 and second.text == first.text
        assert cache.hits == hits + 1
        assert len(hand_overs) == (1 if db_url.startswith("sqlite") else 2)
    finally:
        application.state.engine.dispose()
