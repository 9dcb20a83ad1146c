"""Export the demo clinic as a Bundle, import it into an empty database: nothing is lost."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from fhir_world import Clinic
from sqlalchemy.engine import Engine

from filiform.errors import Conflict
from filiform.fhir import exporter, importer
from filiform.services.access.context import Actor
from filiform.services.operations import audit
from filiform.services.records import bulk
from filiform.storage.engine import session_factory, transaction
from filiform.storage.models import Base

SKIP = {"app_user": {"password_hash"}}


def _norm(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(value, float) and math.isfinite(value):
        return round(value, 9)
    return value


def _dump(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    out = {}
    with engine.connect() as c:
        for table in bulk.TABLE_ORDER:
            t = Base.metadata.tables[table]
            out[table] = [
                {k: _norm(v) for k, v in r._mapping.items() if k not in SKIP.get(table, ())}
                for r in c.execute(sa.select(t).order_by(t.c.id))
            ]
    return out


def _bundle(engine: Engine, actor: Actor) -> dict[str, Any]:
    with transaction(session_factory(engine)) as s:
        return exporter.clinic_bundle(s, actor=actor)


def test_bundle_round_trips_without_loss(demo_clinic: Clinic, db_engine: Engine) -> None:
    bundle = _bundle(demo_clinic.engine, demo_clinic.admin)
    with transaction(session_factory(db_engine)) as s:
        counts = importer.import_bundle(s, bundle)
    assert counts["patient"] == 12 and counts["insertion"] > 0 and counts["amendment"] == 2
    assert counts["session_override"] == 1  # the written reason travels with its session
    before, after = _dump(demo_clinic.engine), _dump(db_engine)
    for table in bulk.TABLE_ORDER:
        assert after[table] == before[table], table
    again = _bundle(db_engine, demo_clinic.admin)
    assert [e["resource"] for e in again["entry"]] == [e["resource"] for e in bundle["entry"]]
    with transaction(session_factory(db_engine)) as s:
        assert audit.verify(s).ok
        with pytest.raises(Conflict):
            importer.import_bundle(s, bundle)


def test_imported_users_cannot_log_in_until_reset(demo_clinic: Clinic, tmp_path: Any) -> None:
    from filiform.errors import PermissionDenied
    from filiform.services.access import users
    from filiform.storage.engine import make_engine
    from filiform.storage.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    upgrade(engine)
    with transaction(session_factory(engine)) as s:
        importer.import_bundle(s, _bundle(demo_clinic.engine, demo_clinic.admin))
        name = s.scalar(sa.text("SELECT username FROM app_user WHERE role = 'admin'"))
    with pytest.raises(PermissionDenied), transaction(session_factory(engine)) as s:
        users.authenticate(s, username=name, password="demo-password-not-for-production", client="t")
