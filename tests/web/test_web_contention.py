"""A form sent while another process holds the SQLite file gets a plain "nothing was saved"
page (503), not "internal error", and the same form goes through once the file is free."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from web_world import World, form_token

from filiform.storage.settings import sqlite_path


def test_a_form_sent_while_the_database_is_held_says_nothing_was_saved(
    app: FastAPI, world: World, client_for: Callable[[str], TestClient]
) -> None:
    c = client_for("clinician")
    data = {"given_name": "Katherine", "family_name": "Johnson", "birth_date": "1918-08-26", "sex": "female"}
    data["csrf_token"] = form_token(c.get("/patients/new").text)

    @event.listens_for(app.state.engine, "connect")
    def _short(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=100")

    app.state.engine.dispose()
    other = sqlite3.connect(sqlite_path(world.url), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        busy = c.post("/patients/new", data=data, follow_redirects=False)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert busy.status_code == 503, busy.text
    assert busy.headers["retry-after"] == "1"
    assert "<h1>Busy: nothing was saved</h1>" in busy.text
    assert "nothing was saved; send the same request again" in busy.text
    assert "Back button and send the form again" in busy.text
    assert "Katherine" not in c.get("/patients", params={"q": "Johnson"}).text
    saved = c.post("/patients/new", data=data, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert "Katherine" in c.get("/patients", params={"q": "Johnson"}).text
