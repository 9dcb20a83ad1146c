"""The API is one mount at /api: pages do not walk its routes, and its schema is complete."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from filiform import api
from filiform.app.factory import create_app


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    application = create_app(f"sqlite:///{tmp_path / 'filiform.db'}")
    yield application
    application.state.engine.dispose()


def _tried(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The module of every route whose path test runs from now on."""
    tried: list[str] = []
    original = APIRoute.matches

    def matches(self: APIRoute, scope: Any) -> Any:
        tried.append(self.endpoint.__module__)
        return original(self, scope)

    monkeypatch.setattr(APIRoute, "matches", matches)
    return tried


def test_a_page_never_tries_an_api_route(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    client = TestClient(app)
    tried = _tried(monkeypatch)
    assert client.get("/login").status_code == 200
    assert tried and not [m for m in tried if m.startswith("filiform.api.")]


def test_an_api_request_never_tries_a_page_route(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    client = TestClient(app)
    tried = _tried(monkeypatch)
    assert client.get("/api/auth/csrf").status_code == 200
    assert tried and not [m for m in tried if m.startswith("filiform.web.")]


def test_an_unknown_api_path_is_a_json_404(app: FastAPI) -> None:
    r = TestClient(app).get("/api/no-such-thing")
    assert r.status_code == 404 and r.json()["ok"] is False


def test_the_schema_lists_every_api_route_under_the_prefix(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    expected = {
        (f"/api{route.path}", method.lower())
        for route in api.router.routes
        for route in _leaves(route)
        if route.include_in_schema
        for method in route.methods
    }
    listed = {(path, method) for path, ops in paths.items() for method in ops}
    assert expected and expected == listed


def _leaves(route: Any) -> Iterator[APIRoute]:
    if isinstance(route, APIRoute):
        yield route
    for child in getattr(getattr(route, "original_router", None), "routes", ()):
        yield from _leaves(child)
