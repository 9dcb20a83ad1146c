"""The CSRF token of a logged-in browser is bound to its session: a token issued to one
session is refused in another, even when its CSRF cookie is planted too."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_world import PASSWORD, World, build_world, login
from fastapi import FastAPI
from fastapi.testclient import TestClient

from filiform.app.factory import create_app
from filiform.app.security import CSRF_COOKIE
from filiform.services.access.auth_sessions import COOKIE_NAME
from filiform.services.access.login_throttle import LoginThrottle


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    path: Path = tmp_path_factory.mktemp("csrf") / "filiform.db"
    world: World = build_world(f"sqlite:///{path}")
    application = create_app(world.url, throttle=LoginThrottle())
    yield application
    application.state.engine.dispose()


def _token(client: TestClient) -> str:
    return str(client.headers["X-CSRF-Token"])


def test_token_of_session_a_is_refused_in_session_b(app: FastAPI) -> None:
    a = login(TestClient(app), "clinician_a")
    b = login(TestClient(app), "clinician_a")  # same user, another session
    token_a, token_b = _token(a), _token(b)
    assert token_a != token_b
    r = b.post("/api/auth/totp", json={"password": PASSWORD}, headers={"X-CSRF-Token": token_a})
    assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
    # planting A's token as B's CSRF cookie (double-submit's weak spot) does not help
    b.cookies.set(CSRF_COOKIE, token_a)
    r = b.post("/api/auth/totp", json={"password": PASSWORD}, headers={"X-CSRF-Token": token_a})
    assert r.status_code == 403
    # the next page B loads gets its own token back in the cookie
    r = b.get("/api/auth/csrf")
    assert r.json()["data"]["csrf_token"] == token_b
    assert any(c.startswith(f"{CSRF_COOKIE}={token_b};") for c in r.headers.get_list("set-cookie"))
    assert b.post("/api/auth/totp", json={"password": PASSWORD}, headers={"X-CSRF-Token": token_b}).status_code == 200
    assert a.post("/api/auth/totp", json={"password": PASSWORD}).status_code == 200  # A's own token keeps working


def test_token_survives_login_and_session_cookie_is_bound(app: FastAPI) -> None:
    client = login(TestClient(app), "assistant_a")
    token = _token(client)
    assert client.get("/api/auth/csrf").json()["data"]["csrf_token"] == token
    cookie = client.cookies.get(COOKIE_NAME) or ""
    raw, bound, tag = cookie.split(".")
    assert bound == token and raw and tag
    # a session cookie without (or with a forged) binding is no session at all
    for forged in (raw, f"{raw}.{token}.{'A' * 43}"):
        other = TestClient(app)
        other.cookies.set(COOKIE_NAME, forged)
        r = other.get("/api/auth/me")
        assert r.status_code == 401
        assert any(c.startswith(f"{COOKIE_NAME}=;") for c in r.headers.get_list("set-cookie"))
    assert client.get("/api/auth/me").status_code == 200


def test_web_login_form_then_forms_use_the_session_token(app: FastAPI) -> None:
    web = TestClient(app)
    page = web.get("/login")
    if page.status_code == 404:
        pytest.skip("no web face")
    m = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert m
    r = web.post(
        "/login",
        data={"csrf_token": m.group(1), "username": "clinician_a", "password": PASSWORD, "next": "/patients"},
        follow_redirects=False,
    )
    assert r.status_code in (302, 303)
    html = web.get("/patients").text
    m2 = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m2 and m2.group(1) == m.group(1)
    other = login(TestClient(app), "clinician_a")
    r = web.post("/logout", data={"csrf_token": _token(other)}, follow_redirects=False)
    assert r.status_code == 403
    r = web.post("/logout", data={"csrf_token": m.group(1)}, follow_redirects=False)
    assert r.status_code in (302, 303)
