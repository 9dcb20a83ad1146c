"""API fixtures: one two-clinic world per test module (no module sees another's writes),
a logged-in client per username."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from api_world import World, build_world, login
from fastapi import FastAPI
from fastapi.testclient import TestClient

from filiform.app.factory import create_app


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    path: Path = tmp_path_factory.mktemp("api") / "filiform.db"
    return build_world(f"sqlite:///{path}")


@pytest.fixture(scope="module")
def app(world: World) -> Iterator[FastAPI]:
    application = create_app(world.url)
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="module")
def client_for(app: FastAPI) -> Iterator[Callable[[str], TestClient]]:
    """Logged-in clients, one per username, reused within the session."""
    clients: dict[str, TestClient] = {}

    def get(username: str) -> TestClient:
        if username not in clients:
            clients[username] = login(TestClient(app), username)
        return clients[username]

    yield get
    for c in clients.values():
        c.close()
