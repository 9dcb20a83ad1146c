"""Fixtures for the service tests: a two-clinic world built through the real services."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from services_world import World, _clinic, _consented_patient
from sqlalchemy.engine import Engine

from filiform.storage.engine import session_factory, transaction


@pytest.fixture
def world(db_engine: Engine) -> Iterator[World]:
    factory = session_factory(db_engine)
    with transaction(factory) as s:
        a = _clinic(s, "North Clinic", "n")
        b = _clinic(s, "South Clinic", "s")
        pid = _consented_patient(s, a["clinician"], "N-1")
        other = _consented_patient(s, b["clinician"], "S-1")
    yield World(factory, a["admin"], a["clinician"], a["assistant"], a["front_desk"], b["clinician"], pid, other)


@pytest.fixture
def far_zone() -> Iterator[None]:
    """The server's local zone 14 hours from UTC: stored times must still be UTC."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "FAR-14"  # POSIX: 14 hours east of UTC (no zone database needed)
    time.tzset()
    assert time.localtime().tm_gmtoff == 14 * 3600
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()
