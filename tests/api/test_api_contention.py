"""A write the database cannot take now is answered 503 "nothing was saved", never 500.

Another process holds the SQLite file (as a second server or a CLI import would) past the
busy timeout: the API says busy with Retry-After, the patient is not half-registered, and
the same request succeeds once the file is free.  The web face shows the same plainly.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from api_world import World
from db_held import held_elsewhere
from fastapi import FastAPI
from fastapi.testclient import TestClient

from filiform.storage.engine import BUSY_MESSAGE as BUSY

NEW_PATIENT = {
    "mrn": "BUSY-1",
    "given_name": "Grace",
    "family_name": "Hopper",
    "birth_date": "1960-12-09",
    "sex": "female",
}


def _count(app: FastAPI, mrn: str) -> int:
    with app.state.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM patient WHERE mrn = :m"), {"m": mrn}).scalar_one())


def test_a_write_that_meets_a_held_database_is_busy_then_goes_through(
    app: FastAPI, world: World, client_for: Callable[[str], TestClient]
) -> None:
    doc = client_for("clinician_a")
    with held_elsewhere(app, world.url):
        busy = doc.post("/api/patients", json=NEW_PATIENT)
    assert busy.status_code == 503, busy.text
    assert busy.headers["retry-after"] == "1"
    body = busy.json()
    assert body["code"] == "database_contended" and "nothing was saved" in body["error"]
    assert _count(app, "BUSY-1") == 0
    again = doc.post("/api/patients", json=NEW_PATIENT)
    assert again.status_code == 201, again.text
    assert _count(app, "BUSY-1") == 1


def test_a_read_whose_audit_cannot_be_written_is_busy_json_and_shows_no_data(
    app: FastAPI, world: World, client_for: Callable[[str], TestClient]
) -> None:
    """The API's reads go through under WAL, but no record leaves without its audit entry:
    the answer is the 503 in the API's own shape, then the next read is served."""
    doc = client_for("clinician_a")
    path = f"/api/patients/{world.patient['a']}"
    with held_elsewhere(app, world.url):
        busy = doc.get(path)
    assert busy.status_code == 503, busy.text
    assert busy.headers["retry-after"] == "1"
    assert busy.json() == {"ok": False, "error": BUSY, "code": "database_contended", "details": []}
    assert "Lovelace" not in busy.text
    assert doc.get(path).json()["data"]["family_name"] == "Lovelacea"
