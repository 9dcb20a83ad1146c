"""The CLI commands and the API routes, end to end on the demo clinic."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from fhir_world import Clinic
from typer.testing import CliRunner

from filiform.api import fhir as fhir_api
from filiform.cli.main import app
from filiform.fhir.validate import dangling_references
from filiform.storage.engine import session_factory

runner = CliRunner()


def test_cli_export_import_billing(demo_clinic: Clinic, tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    result = runner.invoke(
        app, ["export", "fhir", "--patient", str(demo_clinic.patient_id), "--out", str(out), "--db", demo_clinic.url]
    )
    assert result.exit_code == 0, result.output
    bundle = json.loads(out.read_text())
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    result = runner.invoke(app, ["export", "bulk", "--out", str(tmp_path / "bulk"), "--db", demo_clinic.url])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "bulk" / "Patient.ndjson").exists()
    target = f"sqlite:///{tmp_path / 'new.db'}"
    result = runner.invoke(app, ["import", "fhir", str(out), "--db", target])
    assert result.exit_code != 0 and "no database at" in result.output  # import creates no database
    assert runner.invoke(app, ["db", "upgrade", "--db", target]).exit_code == 0
    result = runner.invoke(app, ["import", "fhir", str(out), "--db", target])
    assert result.exit_code == 0 and "1 patient" in result.output, result.output
    result = runner.invoke(app, ["billing", "csv", "--out", str(tmp_path / "b.csv"), "--db", demo_clinic.url])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["export", "fhir", "--patient", "999999", "--db", demo_clinic.url])
    assert result.exit_code != 0 and "not found" in result.output


def test_api_everything_and_export(demo_clinic: Clinic, tmp_path: Path) -> None:
    api = FastAPI()
    api.include_router(fhir_api.router)
    api.state.sessions = session_factory(demo_clinic.engine)
    api.state.data_dir = tmp_path

    @api.middleware("http")
    async def login(request: Request, call_next):  # type: ignore[no-untyped-def]
        request.state.actor = demo_clinic.clinician
        return await call_next(request)

    client = TestClient(api)
    got = client.get(f"/fhir/Patient/{demo_clinic.patient_id}/$everything")
    assert got.status_code == 200 and got.headers["content-type"].startswith("application/fhir+json")
    bundle = got.json()
    assert bundle["type"] == "searchset" and bundle["total"] == 1
    assert dangling_references([e["resource"] for e in bundle["entry"]]) == []
    # The Bulk Data export through the real application: tests/fhir/test_fhir_bulk_client.py
