"""A write the database cannot take now is answered 503 "nothing was saved", never 500.

Another process holds the SQLite file (as a second server or a CLI import would) past the
busy timeout: the API says busy with Retry-After, the patient is not half-registered, and
the same request succeeds once the file is free.  The web face shows the same plainly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from api_world import World
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event

from filiform.storage.settings import sqlite_path

NEW_PATIENT = {
    "mrn": "BUSY-1",
    "given_name": "Grace",
    "family_name": "Hopper",
    "birth_date": "1960-12-09",
    "sex": "female",
}


@contextmanager
def _file_held_elsewhere(app: FastAPI, world: World) -> Iterator[None]:
    engine = app.state.engine

    @event.listens_for(engine, "connect")
    def _short(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=100")

    engine.dispose()
    other = sqlite3.connect(sqlite_path(world.url), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def _count(app: FastAPI, mrn: str) -> int:
    with app.state.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT COUNT(*) FROM patient WHERE mrn = :m"), {"m": mrn}).scalar_one())


def test_a_write_that_meets_a_held_database_is_busy_then_goes_through(
    app: FastAPI, world: World, client_for: Callable[[str], TestClient]
) -> None:
    doc = client_for("clinician_a")
    with _file_held_elsewhere(app, world):
        busy = doc.post("/api/patients", json=NEW_PATIENT)
    assert busy.status_code == 503, busy.text
    assert busy.headers["retry-after"] == "1"
    body = busy.json()
    assert body["code"] == "database_contended" and "nothing was saved" in body["error"]
    assert _count(app, "BUSY-1") == 0
    again = doc.post("/api/patients", json=NEW_PATIENT)
    assert again.status_code == 201, again.text
    assert _count(app, "BUSY-1") == 1
