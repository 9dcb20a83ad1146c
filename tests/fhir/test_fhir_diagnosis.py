"""One diagnosis per episode through the API: the candidates, the clinician's choice (an
amendment), and the refusals, against the real application with real logins."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from fhir_world import Clinic

from filiform.app.factory import create_app
from filiform.services.access import users
from filiform.services.access.context import Role
from filiform.storage.engine import make_engine, session_factory, transaction

PASS = "correct horse battery staple"


@pytest.fixture(scope="module")
def site(demo_clinic: Clinic, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str, int]]:
    root: Path = tmp_path_factory.mktemp("diagnosis")
    src, dst = sqlite3.connect(demo_clinic.url.removeprefix("sqlite:///")), sqlite3.connect(root / "copy.db")
    src.backup(dst)
    src.close()
    dst.close()
    url = f"sqlite:///{root / 'copy.db'}"
    engine = make_engine(url)
    with transaction(session_factory(engine)) as s:
        for name, role in (("dx-doc", Role.CLINICIAN), ("dx-desk", Role.FRONT_DESK)):
            users.create_user(s, actor=demo_clinic.admin, username=name, display_name=name, role=role, password=PASS)
    with engine.connect() as c:
        episode = c.execute(sa.text("SELECT id FROM episode WHERE condition = 'Lateral elbow pain'")).scalar_one()
    engine.dispose()
    app = create_app(url)
    with TestClient(app) as client:
        yield client, url, int(episode)
    app.state.engine.dispose()


def _login(client: TestClient, username: str) -> None:
    client.cookies.clear()
    client.headers["X-CSRF-Token"] = client.get("/api/auth/csrf").json()["data"]["csrf_token"]
    got = client.post("/api/auth/login", json={"username": username, "password": PASS})
    assert got.status_code == 200, got.text


def test_the_clinician_chooses_one_candidate(site: tuple[TestClient, str, int]) -> None:
    client, url, episode = site
    _login(client, "dx-doc")
    got = client.get(f"/api/episodes/{episode}/diagnosis")
    assert got.status_code == 200, got.text
    found = got.json()["data"]
    assert found["chosen"] is None
    offered = {c["code"]: c["laterality"] for c in found["candidates"]}
    assert offered["M77.11"] == "right" and "M79.1" not in offered  # a header is never offered
    version = found["version"]
    header = client.put(f"/api/episodes/{episode}/diagnosis", json={"code": "M79.1", "expected_version": version})
    assert header.status_code == 422 and "not a candidate" in header.text
    chosen = client.put(f"/api/episodes/{episode}/diagnosis", json={"code": "M77.11", "expected_version": version})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["data"]["chosen"] == "M77.11" and chosen.json()["data"]["version"] == version + 1
    other = next(code for code in offered if code != "M77.11")
    stale = client.put(f"/api/episodes/{episode}/diagnosis", json={"code": other, "expected_version": version})
    assert stale.status_code == 409
    with make_engine(url).connect() as c:
        kept = c.execute(
            sa.text("SELECT reason FROM amendment WHERE entity = 'episode' AND entity_id = :e"), {"e": episode}
        ).scalars()
        assert "diagnosis chosen for the claim" in list(kept)


def test_the_front_desk_may_not_see_or_choose(site: tuple[TestClient, str, int]) -> None:
    client, _url, episode = site
    _login(client, "dx-desk")
    assert client.get(f"/api/episodes/{episode}/diagnosis").status_code == 403
    put = client.put(f"/api/episodes/{episode}/diagnosis", json={"code": "M77.11", "expected_version": 1})
    assert put.status_code == 403
