"""Shared database fixtures: every storage-backed test runs on SQLite and on PostgreSQL.

``pg_cluster`` starts a throw-away PostgreSQL cluster (``initdb --data-checksums``, as the
``postgres`` OS user when run as root, free loopback port, private socket dir) once per
test session (per xdist worker) and removes it afterwards.  If the server binaries are
missing, the PostgreSQL tests fail loudly: they are part of the default suite.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from sqlalchemy.engine import Engine

from filiform.storage.engine import make_engine
from filiform.storage.migrate import upgrade
from filiform.storage.pgcluster import TempCluster, find_pg_bin, start_temp_cluster

# Cheap argon2id for the hundreds of users the suites create (tests/app asserts that the
# production parameters are untouched).  Set before any test imports the services, and
# inherited by the subprocesses tests start.
os.environ.setdefault("FILIFORM_ARGON2_PROFILE", "test")

# Property tests are reproducible by default: "ci" derives each test's examples from the
# test itself (the same examples on every run and every machine, whatever the test order).
# "explore" searches afresh each run; a failure prints its @reproduce_failure blob and is
# stored in .hypothesis/ so the next run replays it first.  Chosen by FILIFORM_HYPOTHESIS.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("explore", derandomize=False, deadline=None, print_blob=True, max_examples=500)
settings.load_profile(os.environ.get("FILIFORM_HYPOTHESIS", "ci"))


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[TempCluster]:
    if find_pg_bin() is None:
        pytest.fail(
            "PostgreSQL server binaries not found: install postgresql-15 (scripts/system-deps) or set FILIFORM_PG_BIN",
            pytrace=False,
        )
    cluster = start_temp_cluster()
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def pg_url(pg_cluster: TempCluster) -> Iterator[str]:
    """A fresh, empty database in the session's cluster."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    url = pg_cluster.create_database(name)
    yield url
    pg_cluster.drop_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL, once for SQLite (a temp file) and once for PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'filiform.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    """A migrated engine on each database."""
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()
