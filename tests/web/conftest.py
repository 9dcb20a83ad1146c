"""Web fixtures: the real app on a temp SQLite demo clinic, logged-in clients per role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_world import World, build_world, login

from filiform.app.factory import create_app


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    path: Path = tmp_path_factory.mktemp("web") / "filiform.db"
    return build_world(f"sqlite:///{path}")


@pytest.fixture(scope="module")
def app(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    application = create_app(world.url)
    application.state.hrv_dir = str(tmp_path_factory.mktemp("hrv"))
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="module")
def client_for(app: FastAPI, world: World) -> Iterator[Callable[[str], TestClient]]:
    """A logged-in client for a role (clinician, assistant, front_desk, admin)."""
    clients: dict[str, TestClient] = {}

    def get(role: str) -> TestClient:
        if role not in clients:
            clients[role] = login(TestClient(app), world.usernames[role])
        return clients[role]

    yield get
    for c in clients.values():
        c.close()
