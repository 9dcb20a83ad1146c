"""Portal fixtures: the demo clinic on SQLite, the app on a clock the tests move."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from portal_world import START, World, build_world, login, make_app

from filiform.core.concepts.clock import FixedClock


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    path: Path = tmp_path_factory.mktemp("portal") / "filiform.db"
    return build_world(f"sqlite:///{path}")


@pytest.fixture(scope="module")
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture(scope="module")
def app(world: World, clock: FixedClock) -> Iterator[FastAPI]:
    application = make_app(world.url, clock)
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="module")
def staff(app: FastAPI, world: World) -> Iterator[Callable[[str], TestClient]]:
    clients: dict[str, TestClient] = {}

    def get(role: str) -> TestClient:
        if role not in clients:
            clients[role] = login(TestClient(app), world.usernames[role])
        return clients[role]

    yield get
    for c in clients.values():
        c.close()
