"""A form sent, or a page viewed, while another process holds the SQLite file gets the
clinic's "nothing was saved" page (503), not "internal error"; once the file is free the
same form goes through and the page is served."""

from __future__ import annotations

import re
from collections.abc import Callable

from db_held import held_elsewhere
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_world import World, form_token


def test_a_form_sent_while_the_database_is_held_says_nothing_was_saved(
    app: FastAPI, world: World, client_for: Callable[[str], TestClient]
) -> None:
    c = client_for("clinician")
    data = {"given_name": "Katherine", "family_name": "Johnson", "birth_date": "1918-08-26", "sex": "female"}
    data["csrf_token"] = form_token(c.get("/patients/new").text)
    with held_elsewhere(app, world.url):
        busy = c.post("/patients/new", data=data, follow_redirects=False)
    assert busy.status_code == 503, busy.text
    assert busy.headers["retry-after"] == "1"
    assert "<h1>Busy: nothing was saved</h1>" in busy.text
    assert "nothing was saved; send the same request again" in busy.text
    assert "Back button and send the form again" in busy.text
    assert "Katherine" not in c.get("/patients", params={"q": "Johnson"}).text
    saved = c.post("/patients/new", data=data, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    assert "Katherine" in c.get("/patients", params={"q": "Johnson"}).text


def test_a_page_whose_audit_cannot_be_written_is_busy_and_shows_no_data(
    app: FastAPI, world: World, client_for: Callable[[str], TestClient]
) -> None:
    """Under WAL the page's reads go through while another process holds the file, but its
    access and read entries cannot be written: the page is not sent (no data without its
    audit entry), the answer is the same 503, and the next view is served and audited."""
    c = client_for("clinician")
    first = c.get("/patients", params={"q": ""}).text
    link = re.search(r'href="/patients/(\d+)"', first)
    assert link is not None
    page = f"/patients/{link.group(1)}"
    family = re.search(r"<h1>([^,<]+),", c.get(page).text)
    assert family is not None
    with held_elsewhere(app, world.url):
        busy = c.get(page)
    assert busy.status_code == 503, busy.text[:500]
    assert busy.headers["retry-after"] == "1"
    assert "<h1>Busy: nothing was saved</h1>" in busy.text  # the clinic's error page, not plain text
    assert "Reload the page in a moment." in busy.text and "send the form again" not in busy.text
    assert family.group(1) not in busy.text
    assert c.get(page).status_code == 200
