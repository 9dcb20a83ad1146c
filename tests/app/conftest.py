"""App-level fixtures reuse the API's two-clinic world builder (tests/api/api_world.py).

``world`` and ``app`` here are a fresh SQLite world and app per test; a module that needs
another scope or database defines its own fixture of the same name, which wins.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
from api_world import World, build_world

from filiform.app.factory import create_app


@pytest.fixture
def world(tmp_path: Path) -> World:
    """A two-clinic world in a fresh SQLite file."""
    return build_world(f"sqlite:///{tmp_path / 'filiform.db'}")


@pytest.fixture
def app(world: World) -> Iterator[FastAPI]:
    """The real app on ``world``'s database (its engine disposed afterwards)."""
    application = create_app(world.url)
    yield application
    application.state.engine.dispose()
