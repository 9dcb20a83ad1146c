"""Issue 19 item 5/10: the outer guard limits bodies before any parsing or session work,
refuses deep JSON cleanly, trusts X-Forwarded-For only from configured proxies, and puts
the security headers on every response, 500s included."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from api_world import World, build_world, login
from fastapi import FastAPI
from fastapi.testclient import TestClient

from filiform.app import security
from filiform.app.factory import create_app
from filiform.app.guard import MAX_BODY_BYTES, OuterGuard, json_too_deep
from filiform.app.security import HEADERS


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    path: Path = tmp_path_factory.mktemp("guard") / "filiform.db"
    return build_world(f"sqlite:///{path}")


@pytest.fixture(scope="module")
def app(world: World) -> Iterator[FastAPI]:
    application = create_app(world.url)

    @application.get("/api/boom")
    def boom() -> None:
        raise RuntimeError("unexpected")

    # The API is a mount at /api that owns every path under it: a route added later goes first.
    application.router.routes.insert(0, application.router.routes.pop())
    yield application
    application.state.engine.dispose()


def _csrf(client: TestClient) -> str:
    token: str = client.get("/api/auth/csrf").json()["data"]["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    return token


def test_an_oversized_body_is_refused_before_parsing_or_session_work(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = login(TestClient(app), "clinician_a")
    lookups: list[str] = []
    original = security.lookup
    monkeypatch.setattr(security, "lookup", lambda *a, **k: lookups.append("x") or original(*a, **k))
    big = b'{"username": "' + b"a" * (MAX_BODY_BYTES + 10) + b'", "password": "x"}'
    r = client.post("/api/auth/login", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "request_too_large"
    assert lookups == []  # refused before the session was even looked up

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        yield b'{"username": "'
        for _ in range(20):
            yield b"a" * 65536
        yield b'", "password": "x"}'

    r = client.post("/api/auth/login", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "script-src 'self'" in r.headers["content-security-policy"]


def test_deeply_nested_json_is_a_422_not_a_500(app: FastAPI) -> None:
    client = TestClient(app)
    _csrf(client)
    body = b'{"username": ' + b"[" * 50_000 + b"]" * 50_000 + b', "password": "x"}'
    r = client.post("/api/auth/login", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "nested" in r.json()["error"]
    assert json_too_deep(b'{"a": "' + b"[" * 100 + b'"}') is False  # brackets inside strings do not count


def test_a_500_carries_the_security_headers(app: FastAPI) -> None:
    r = TestClient(app, raise_server_exceptions=False).get("/api/boom")
    assert r.status_code == 500 and r.json()["code"] == "internal_error"
    for name, value in HEADERS.items():
        assert r.headers[name] == value


def _scope(client: tuple[str, int], xff: str) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(b"x-forwarded-for", xff.encode())],
        "client": client,
        "scheme": "http",
    }


def _seen_client(guard_env: str, peer: tuple[str, int], xff: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FILIFORM_TRUSTED_PROXIES", guard_env)
    seen: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["client"][0])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        return None

    # A thread of its own: a browser test earlier in this worker may leave an event loop
    # running in the main thread, where asyncio.run() refuses to start another.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, OuterGuard(inner, headers=HEADERS)(_scope(peer, xff), receive, send)).result()
    return seen[0]


def test_forwarded_for_is_trusted_only_from_configured_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _seen_client("", ("127.0.0.1", 5), "203.0.113.9", monkeypatch) == "127.0.0.1"  # none by default
    assert _seen_client("10.0.0.0/8", ("10.0.0.2", 5), "198.51.100.7, 203.0.113.9", monkeypatch) == "203.0.113.9"
    # the right-most address that is not a trusted proxy; a client cannot prepend its own
    assert _seen_client("10.0.0.0/8", ("10.0.0.2", 5), "1.2.3.4, 203.0.113.9, 10.0.0.3", monkeypatch) == "203.0.113.9"
    assert _seen_client("10.0.0.0/8", ("192.0.2.1", 5), "203.0.113.9", monkeypatch) == "192.0.2.1"
    monkeypatch.setenv("FILIFORM_TRUSTED_PROXIES", "not-an-address")
    with pytest.raises(ValueError, match="FILIFORM_TRUSTED_PROXIES"):
        OuterGuard(lambda *_: None, headers=HEADERS)  # type: ignore[arg-type,return-value]
