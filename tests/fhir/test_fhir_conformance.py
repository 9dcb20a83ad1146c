"""Conformance of a 200-patient export: an independent validator finds 0 errors, and the
NDJSON export imports into an empty database without losing or changing anything.

The validator is Google's (``google_validator.py``: generated from the official R4 core
package); the tests below also show that it refuses bad resources, so a pass means
something. The clinic is the demo at 200 patients plus records that exercise the rest:
a patient from another system (second names, two phones, an address, an SSN), a chosen
diagnosis changed by amendment, and an adverse event.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from google_validator import problems
from sqlalchemy.engine import Engine

from filiform.fhir import exporter, foreign, importer, sources
from filiform.services.access.context import Actor, Role
from filiform.services.operations import demo
from filiform.services.records import bulk, diagnosis
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.migrate import upgrade
from filiform.storage.models import Base, Episode

pytestmark = pytest.mark.slow

FOREIGN = Path(__file__).parent.parent / "fixtures" / "fhir" / "foreign_transaction.json"


def _actor(engine: Engine, role: str) -> Actor:
    with engine.connect() as c:
        uid, cid = c.execute(
            sa.text("SELECT id, clinic_id FROM app_user WHERE role = :r ORDER BY id"), {"r": role}
        ).first()
    return Actor(user_id=uid, clinic_id=cid, role=Role(role))


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("conformance")
    engine = make_engine(f"sqlite:///{root / 'clinic.db'}")
    upgrade(engine)
    demo.generate(engine, patients=200, seed=11)
    doc = _actor(engine, "clinician")
    with transaction(session_factory(engine)) as s:
        foreign.import_foreign(s, actor=doc, items=sources.resources(FOREIGN), skip_unsupported=True)
        episode = s.execute(sa.select(Episode).where(Episode.diagnosis_code.is_(None)).limit(1)).scalar_one()
        first = diagnosis.choices(s, actor=doc, episode_id=episode.id).candidates[0].code
        diagnosis.choose(s, actor=doc, episode_id=episode.id, code=first, expected_version=episode.version)
    manifest = exporter.bulk_export(engine, actor=_actor(engine, "admin"), out_dir=root / "out")
    return engine, root / "out", manifest


def _resources(out: Path) -> list[str]:
    return [line for f in sorted(out.glob("*.ndjson")) for line in f.read_text(encoding="utf-8").splitlines()]


def test_the_independent_validator_finds_no_error(clinic: tuple[Engine, Path, dict[str, Any]]) -> None:
    _engine, out, manifest = clinic
    lines = _resources(out)
    assert len(lines) == sum(o["count"] for o in manifest["output"]) > 15_000
    found = [p for line in lines for p in problems(line)]
    assert found == [], found[:10]
    kinds = {json.loads(line)["resourceType"] for line in lines}
    assert len(kinds) == 15


def test_the_validator_is_not_a_rubber_stamp() -> None:
    assert problems({"resourceType": "Patient", "id": "1", "gender": "banana"})
    assert problems({"resourceType": "Patient", "id": "1", "colour": "blue"})
    assert problems({"resourceType": "Observation", "id": "1", "status": "final"})  # code is required
    assert problems({"resourceType": "Observation", "id": "1", "status": "done", "code": {"text": "x"}})
    assert problems(
        {
            "resourceType": "Encounter",
            "id": "1",
            "status": "finished",
            "class": {"code": "AMB"},
            "subject": {"reference": "Procedure/1"},
        }
    )  # a subject is a Patient or a Group
    assert problems({"resourceType": "Patient", "id": "1", "birthDate": "1980-13-45"})
    assert problems({"resourceType": "Patient", "id": "1", "gender": "female"}) == []


def _norm(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    if isinstance(value, float) and math.isfinite(value):
        return round(value, 9)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _dump(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    skip = {"app_user": {"password_hash"}}
    with engine.connect() as c:
        return {
            table: [
                {k: _norm(v) for k, v in r._mapping.items() if k not in skip.get(table, ())}
                for r in c.execute(sa.select(Base.metadata.tables[table]).order_by(Base.metadata.tables[table].c.id))
            ]
            for table in bulk.TABLE_ORDER
        }


def test_the_ndjson_export_round_trips_without_loss(
    clinic: tuple[Engine, Path, dict[str, Any]], tmp_path: Path
) -> None:
    engine, out, _manifest = clinic
    target = make_engine(f"sqlite:///{tmp_path / 'restored.db'}")
    upgrade(target)
    with transaction(session_factory(target)) as s:
        report = importer.import_path(s, out)
    assert report.left_out == [] and report.counts["patient"] == 201
    before, after = _dump(engine), _dump(target)
    for table in bulk.TABLE_ORDER:
        assert after[table] == before[table], table
    again = exporter.bulk_export(target, actor=_actor(target, "admin"), out_dir=tmp_path / "again")
    assert [o["count"] for o in again["output"]] == [o["count"] for o in _manifest["output"]]
    for o in again["output"]:
        assert (tmp_path / "again" / f"{o['type']}.ndjson").read_bytes() == (out / f"{o['type']}.ndjson").read_bytes()
    target.dispose()
