"""Bulk Data ``$export`` through the asynchronous request pattern, on the real app.

A copy of the demo clinic (so the shared fixture stays single-clinic for the round trip)
gains a second clinic and users with known passwords; requests go through
``create_app`` with its security middleware, CSRF and login, not a stub actor. Jobs live
in the database; files in the private folder next to the database.
"""

from __future__ import annotations

import json
import sqlite3
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from fhir_world import Clinic
from httpx import Response
from sqlalchemy.engine import Connection

from filiform.app.factory import create_app
from filiform.fhir import exporter
from filiform.services.access import users
from filiform.services.access.context import Role
from filiform.services.operations import export_jobs, jobs
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.models import AuditLog

PASSWORD = "correct horse battery staple"
EXPORT = "/api/fhir/$export"


@dataclass(frozen=True)
class Site:
    app: FastAPI
    data_dir: Path
    clinic_id: int


def _login(app: FastAPI, username: str) -> TestClient:
    client = TestClient(app)
    client.headers["X-CSRF-Token"] = client.get("/api/auth/csrf").json()["data"]["csrf_token"]
    got = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
    assert got.status_code == 200, got.text
    return client


@pytest.fixture(scope="module")
def site(demo_clinic: Clinic, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("async-export")
    src = sqlite3.connect(demo_clinic.url.removeprefix("sqlite:///"))
    dst = sqlite3.connect(root / "copy.db")
    src.backup(dst)
    src.close()
    dst.close()
    url = f"sqlite:///{root / 'copy.db'}"
    engine = make_engine(url)
    with transaction(session_factory(engine)) as s:
        users.create_user(
            s, actor=demo_clinic.admin, username="async-doc", display_name="Doc", role=Role.CLINICIAN, password=PASSWORD
        )
        users.create_user(
            s, actor=demo_clinic.admin, username="desk", display_name="Desk", role=Role.FRONT_DESK, password=PASSWORD
        )
        users.create_clinic(s, name="Other Clinic", admin_username="other-admin", admin_password=PASSWORD)
    engine.dispose()
    app = create_app(url)
    yield Site(app, root, demo_clinic.admin.clinic_id)
    app.state.engine.dispose()


@pytest.fixture(scope="module")
def doc(site: Site) -> Iterator[TestClient]:
    client = _login(site.app, "async-doc")
    yield client
    client.close()


@pytest.fixture(scope="module")
def other(site: Site) -> Iterator[TestClient]:
    client = _login(site.app, "other-admin")
    yield client
    client.close()


def _path(url: str) -> str:
    return url.removeprefix("http://testserver")


def _running(site: Site) -> list[Any]:
    with transaction(site.app.state.sessions) as s:
        return jobs.running(s, clinic_id=site.clinic_id, kind=export_jobs.KIND)


def _idle(site: Site) -> None:
    """Wait until no export of the clinic runs (its job row is final)."""
    deadline = time.monotonic() + 60
    while _running(site):
        assert time.monotonic() < deadline, "export thread never finished"
        time.sleep(0.05)


def _folder(site: Site, status_url: str) -> Path:
    return site.data_dir / "private" / "fhir-export" / status_url.rsplit("/", 1)[1]


def _outcome(got: Response, code: str) -> None:
    """Every FHIR error body is an OperationOutcome naming the error."""
    assert got.headers["content-type"].startswith("application/fhir+json"), got.text
    body = got.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["severity"] == "error" and body["issue"][0]["details"]["text"] == code


def _kickoff(client: TestClient, query: str = "") -> str:
    got = client.post(EXPORT + query)
    assert got.status_code == 202, got.text
    return _path(got.headers["Content-Location"])


def _manifest(client: TestClient, status_url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        got = client.get(status_url)
        if got.status_code == 200:
            assert got.headers["content-type"].startswith("application/fhir+json")
            assert parsedate_to_datetime(got.headers["Expires"]) > datetime.now(UTC)  # a real expiry
            body: dict[str, Any] = got.json()
            return body
        assert got.status_code == 202, got.text
        assert got.headers["X-Progress"]
        time.sleep(0.05)
    raise AssertionError("export did not complete")


def _lines(client: TestClient, url: str) -> list[dict[str, Any]]:
    got = client.get(_path(url))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("application/fhir+ndjson")
    return [json.loads(line) for line in got.text.splitlines()]


def test_kickoff_poll_manifest_and_download(site: Site, doc: TestClient) -> None:
    status_url = _kickoff(doc)
    assert status_url.startswith(EXPORT + "/")
    manifest = _manifest(doc, status_url)
    _idle(site)
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    assert manifest["transactionTime"] and manifest["request"].endswith("/api/fhir/$export")
    types = {o["type"] for o in manifest["output"]}
    assert {"Patient", "Organization", "Procedure", "Encounter"} <= types
    for out in manifest["output"]:
        assert out["url"].startswith(f"http://testserver{status_url}/")
        lines = _lines(doc, out["url"])
        assert len(lines) == out["count"] > 0
        assert {r["resourceType"] for r in lines} == {out["type"]}
    patients = next(o for o in manifest["output"] if o["type"] == "Patient")
    assert patients["count"] == 12


def test_type_filter_and_output_formats(site: Site, doc: TestClient) -> None:
    manifest = _manifest(doc, _kickoff(doc, "?_type=Patient&_outputFormat=application%2Ffhir%2Bndjson"))
    _idle(site)
    assert [o["type"] for o in manifest["output"]] == ["Patient"]
    assert {r["resourceType"] for r in _lines(doc, manifest["output"][0]["url"])} == {"Patient"}
    for fmt in ("application%2Fndjson", "ndjson"):
        manifest = _manifest(doc, _kickoff(doc, f"?_type=Patient,Condition&_outputFormat={fmt}"))
        _idle(site)
        assert sorted(o["type"] for o in manifest["output"]) == ["Condition", "Patient"]


@pytest.mark.parametrize(
    "query",
    [
        "?_type=Patient,Banana",
        "?_type=",
        "?_type=patient",
        "?_outputFormat=application%2Fjson",
        "?_outputFormat=csv",
        "?_since=2024-01-01",  # an instant needs a time zone
        "?_since=yesterday",
        "?_elements=id",  # not supported: refused, never silently ignored
        "?_typeFilter=Patient%3Factive%3Dtrue",
    ],
)
def test_bad_parameters_are_400(site: Site, doc: TestClient, query: str) -> None:
    for method in ("GET", "POST"):
        got = doc.request(method, EXPORT + query)
        assert got.status_code == 400, got.text
        _outcome(got, "invalid_parameter")
        assert "Content-Location" not in got.headers
        assert _running(site) == []  # no export started


def test_other_clinic_sees_nothing(site: Site, doc: TestClient, other: TestClient) -> None:
    status_url = _kickoff(doc, "?_type=Patient")
    manifest = _manifest(doc, status_url)
    _idle(site)
    file_url = _path(manifest["output"][0]["url"])
    for method, url in (("GET", status_url), ("GET", file_url), ("DELETE", status_url)):
        got = other.request(method, url)
        assert got.status_code == 404, (method, url)
        _outcome(got, "not_found")
    assert doc.get(status_url).status_code == 200  # the other clinic's DELETE removed nothing
    assert doc.get(f"{EXPORT}/{'0' * 32}").status_code == 404  # unknown id: the same answer


def test_second_kickoff_while_running_is_429(site: Site, doc: TestClient, demo_clinic: Clinic) -> None:
    """A running job of the clinic in the database (any process's) takes the slot."""
    with transaction(site.app.state.sessions) as s:
        jobs.create(s, actor=demo_clinic.admin, job_id="f" * 32, kind=export_jobs.KIND)
        jobs.update(s, job_id="f" * 32, state="running")
    try:
        got = doc.get(EXPORT)
        assert got.status_code == 429
        _outcome(got, "too_many_requests")
        assert int(got.headers["Retry-After"]) > 0
    finally:
        with transaction(site.app.state.sessions) as s:
            jobs.update(s, job_id="f" * 32, state="failed", error="test over")


def test_an_export_whose_process_stopped_does_not_block_for_ever(
    site: Site, doc: TestClient, demo_clinic: Clinic
) -> None:
    """A job left running by a restarted or crashed process used to answer 202 and take the
    clinic's slot (429) for ever; once its heartbeat is older than the limit it is failed."""
    stuck = "e" * 32
    with transaction(site.app.state.sessions) as s:
        jobs.create(s, actor=demo_clinic.admin, job_id=stuck, kind=export_jobs.KIND)
        jobs.update(s, job_id=stuck, state="running")
        s.flush()
        s.execute(
            sa.text("UPDATE background_job SET updated_at = :t WHERE id = :j"),
            {"t": datetime.now(UTC) - export_jobs.STALE_AFTER - timedelta(seconds=5), "j": stuck},
        )
    got = doc.get(f"{EXPORT}/{stuck}")
    assert got.status_code == 500, got.text
    _outcome(got, "export_failed")
    assert "stopped" in got.json()["issue"][0]["diagnostics"]
    fresh = _kickoff(doc, "?_type=Patient")  # the slot is free again
    _manifest(doc, fresh)
    _idle(site)
    with transaction(site.app.state.sessions) as s:
        assert jobs.get_any(s, stuck).state == "failed"


def test_delete_removes_finished_export(site: Site, doc: TestClient) -> None:
    status_url = _kickoff(doc, "?_type=Patient")
    manifest = _manifest(doc, status_url)
    _idle(site)
    folder = _folder(site, status_url)
    assert folder.is_dir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(f.stat().st_mode) for f in folder.iterdir()} == {0o600}
    assert doc.delete(status_url).status_code == 202
    assert doc.get(status_url).status_code == 404
    assert doc.get(_path(manifest["output"][0]["url"])).status_code == 404
    assert not folder.exists()
    assert doc.delete(status_url).status_code == 404


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Hold the export thread just after its audit, so "still running" is deterministic."""
    opened = threading.Event()
    real: Callable[[Connection, int], int] = exporter.source_rows

    def held(conn: Connection, clinic_id: int) -> int:
        assert opened.wait(timeout=60)
        return real(conn, clinic_id)

    monkeypatch.setattr(exporter, "source_rows", held)
    yield opened
    opened.set()


def test_running_export_reports_progress_then_completes(site: Site, doc: TestClient, gate: threading.Event) -> None:
    status_url = _kickoff(doc)
    running: Response = doc.get(status_url)
    assert running.status_code == 202 and running.headers["X-Progress"]
    again = doc.post(EXPORT)  # the real per-clinic slot is taken by the running export
    assert again.status_code == 429 and again.headers["Retry-After"]
    gate.set()
    assert _manifest(doc, status_url)["output"]
    _idle(site)


def test_delete_cancels_running_export(site: Site, doc: TestClient, gate: threading.Event) -> None:
    status_url = _kickoff(doc)
    folder = _folder(site, status_url)
    assert doc.get(status_url).status_code == 202
    assert doc.delete(status_url).status_code == 202
    assert doc.get(status_url).status_code == 404
    gate.set()
    _idle(site)
    assert not folder.exists()
    assert _kickoff(doc, "?_type=Organization")  # the slot is free again
    _idle(site)


def test_front_desk_cannot_download_and_downloads_are_audited(site: Site, doc: TestClient) -> None:
    """Issue 19 item 5: the front desk (no export permission) downloaded export files, unaudited."""
    manifest = _manifest(doc, _kickoff(doc, "?_type=Patient"))
    _idle(site)
    url = _path(manifest["output"][0]["url"])
    desk = _login(site.app, "desk")
    got = desk.get(url)
    assert got.status_code == 403
    _outcome(got, "permission_denied")
    desk.close()
    with transaction(site.app.state.sessions) as s:
        before = s.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "download"))
    assert doc.get(url).status_code == 200
    with transaction(site.app.state.sessions) as s:
        rows = s.execute(sa.select(AuditLog).where(AuditLog.action == "download").order_by(AuditLog.id)).scalars().all()
    assert len(rows) == (before or 0) + 1 and "Patient.ndjson" in rows[-1].detail


def test_expired_export_is_gone(site: Site, doc: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(export_jobs.TTL_ENV, "3")  # Expires has whole seconds: 1 s raced a busy machine
    status_url = _kickoff(doc, "?_type=Organization")
    manifest = _manifest(doc, status_url)
    _idle(site)
    time.sleep(3.1)
    assert doc.get(status_url).status_code == 404
    assert doc.get(_path(manifest["output"][0]["url"])).status_code == 404
    export_jobs.sweep(site.app.state.sessions, site.data_dir)
    assert not _folder(site, status_url).exists()
