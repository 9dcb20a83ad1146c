"""The CLI commands and the API routes, end to end on the demo clinic (the API through
create_app, with its login and CSRF, never an injected actor)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient
from fhir_world import Clinic
from typer.testing import CliRunner

from filiform.app.factory import create_app
from filiform.cli.main import app as cli
from filiform.fhir.validate import dangling_references
from filiform.services.access import users
from filiform.services.access.context import Role
from filiform.storage.engine import make_engine, session_factory, transaction

PASSWORD = "correct horse battery staple"

runner = CliRunner()


def test_cli_export_import_billing(demo_clinic: Clinic, tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    result = runner.invoke(
        cli, ["export", "fhir", "--patient", str(demo_clinic.patient_id), "--out", str(out), "--db", demo_clinic.url]
    )
    assert result.exit_code == 0, result.output
    bundle = json.loads(out.read_text())
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    result = runner.invoke(cli, ["export", "bulk", "--out", str(tmp_path / "bulk"), "--db", demo_clinic.url])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "bulk" / "Patient.ndjson").exists()
    target = f"sqlite:///{tmp_path / 'new.db'}"
    result = runner.invoke(cli, ["import", "fhir", str(out), "--db", target])
    assert result.exit_code != 0 and "no database at" in result.output  # import creates no database
    assert runner.invoke(cli, ["db", "upgrade", "--db", target]).exit_code == 0
    result = runner.invoke(cli, ["import", "fhir", str(out), "--db", target])
    assert result.exit_code == 0 and "1 patient" in result.output, result.output
    result = runner.invoke(cli, ["billing", "csv", "--out", str(tmp_path / "b.csv"), "--db", demo_clinic.url])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["export", "fhir", "--patient", "999999", "--db", demo_clinic.url])
    assert result.exit_code != 0 and "not found" in result.output


def _copy(demo_clinic: Clinic, folder: Path) -> str:
    """A copy of the demo clinic with a clinician who logs in (the shared fixture stays as it is)."""
    src = sqlite3.connect(demo_clinic.url.removeprefix("sqlite:///"))
    dst = sqlite3.connect(folder / "copy.db")
    src.backup(dst)
    src.close()
    dst.close()
    url = f"sqlite:///{folder / 'copy.db'}"
    engine = make_engine(url)
    with transaction(session_factory(engine)) as s:
        users.create_user(
            s, actor=demo_clinic.admin, username="faces-doc", display_name="Doc", role=Role.CLINICIAN, password=PASSWORD
        )
    engine.dispose()
    return url


def test_api_everything_through_the_real_app_with_a_real_login(demo_clinic: Clinic, tmp_path: Path) -> None:
    app = create_app(_copy(demo_clinic, tmp_path))
    path = f"/api/fhir/Patient/{demo_clinic.patient_id}/$everything"
    try:
        with TestClient(app) as client:
            assert client.get(path).status_code == 401  # no session: nothing disclosed
            client.headers["X-CSRF-Token"] = client.get("/api/auth/csrf").json()["data"]["csrf_token"]
            login = client.post("/api/auth/login", json={"username": "faces-doc", "password": PASSWORD})
            assert login.status_code == 200, login.text
            got = client.get(path)
            assert got.status_code == 200, got.text
            assert got.headers["content-type"].startswith("application/fhir+json")
            bundle = got.json()
            assert bundle["type"] == "searchset" and bundle["total"] == 1
            patients = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
            assert [p["id"] for p in patients] == [str(demo_clinic.patient_id)]
            assert dangling_references([e["resource"] for e in bundle["entry"]]) == []
            missing = client.get("/api/fhir/Patient/999999/$everything")
            assert missing.status_code == 404
    finally:
        app.state.engine.dispose()
    # The Bulk Data export through the real application: tests/fhir/test_fhir_bulk_client.py
