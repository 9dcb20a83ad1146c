"""A demo clinic on a temp SQLite file and logged-in TestClients for the web route tests."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi.testclient import TestClient

from filiform.services.operations.demo import DEMO_PASSWORD, generate
from filiform.storage.engine import make_engine
from filiform.storage.migrate import upgrade


@dataclass
class World:
    url: str
    usernames: dict[str, str]  # role -> username
    clinic_id: int


def build_world(url: str, patients: int = 4) -> World:
    engine = make_engine(url)
    upgrade(engine)
    stats = generate(engine, patients=patients, seed=11)
    engine.dispose()
    roles: dict[str, str] = {}
    for name in stats.usernames:
        for role in ("admin", "clinician", "assistant", "front_desk"):
            if name.startswith(f"demo-{role}-") and role not in roles:
                roles[role] = name
    return World(url=url, usernames=roles, clinic_id=stats.clinic_id)


def csrf(client: TestClient) -> str:
    token = client.cookies.get("filiform_csrf")
    if not token:
        client.get("/login")
        token = client.cookies.get("filiform_csrf")
    assert token
    return token


def login(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> TestClient:
    page = client.get("/login")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token.group(1), "next": "/patients"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return client


def form_token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m is not None
    return m.group(1)
