"""Revision ``concepts`` (0004) on a database written at 0003, on SQLite and PostgreSQL.

The database is built at the older revision with rows in the older formats (per-needle
electrical settings, including values the web form used to let through; drawings with
fractional, zero and repeated intensities), upgraded, and every row is checked: circuits
keep every original setting, drawings read back through the one drawing type, and each
changed drawing has an amendment holding its old regions.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from filiform.core.atlas.v1 import convert_drawing
from filiform.core.concepts.drawing import read_regions
from filiform.services.access.context import Actor, Role
from filiform.services.records import amendments, reads
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.migrate import current_revision, head_revision, upgrade

NOW = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
VALID = {"frequency_hz": 2, "pulse_width_us": 250, "intensity_ma": 3.5, "duration_s": 600}


def _insert(conn: sa.Connection, table: str, **values: Any) -> None:
    meta = sa.MetaData()
    t = sa.Table(table, meta, autoload_with=conn)
    conn.execute(t.insert().values(**values))


def _old_database(url: str) -> tuple[Engine, dict[int, Any], dict[int, Any]]:
    """A database at revision 0003 holding rows in the formats of that revision."""
    engine = make_engine(url)
    upgrade(engine, "0003")
    assert current_revision(engine) == "0003"
    sqlite = engine.dialect.name == "sqlite"
    electrical: dict[int, Any] = {
        1: VALID,
        2: {**VALID, "duration_s": 0, "frequency_hz": 400},  # out of the recording bounds
        3: None,  # a trigger-point needle: no settings
    }
    if sqlite:  # the web form once stored these; PostgreSQL's JSONB always refused them
        electrical[4] = {**VALID, "frequency_hz": float("inf"), "intensity_ma": float("nan")}
    drawings: dict[int, Any] = {  # atlas-1 ids, as 0003 stored them (revision bodychart maps them to atlas 2)
        1: [{"region": "right-temple", "intensity": 6}],  # whole intensities: only the atlas changes
        2: [
            {"region": "right-temple", "intensity": 5.5},
            {"region": "right-jaw-angle", "intensity": 0},
            {"region": "right-temple", "intensity": 3},
            {"region": "right-eyebrow", "intensity": 4.0},
        ],
    }
    with engine.begin() as conn:
        _insert(conn, "clinic", id=1, name="Old clinic", created_at=NOW)
        _insert(
            conn, "app_user", id=1, clinic_id=1, username="doc", display_name="Doc", role="clinician",
            password_hash="x", active=True, created_at=NOW,
        )  # fmt: skip
        _insert(
            conn, "patient", id=1, clinic_id=1, mrn="OLD-1", given_name="Ada", family_name="Older",
            birth_date=date(1970, 1, 1), sex="female", version=1, created_at=NOW,
        )  # fmt: skip
        record = {"clinic_id": 1, "patient_id": 1, "version": 1, "created_by": 1, "created_at": NOW}
        _insert(conn, "consent", id=1, form_version="v0", consented_on=date(2026, 1, 1), obtained_by=1, **record)
        _insert(conn, "screening", id=1, screened_at=NOW, answers={}, decision={"techniques": []}, **record)
        _insert(conn, "treatment_session", id=1, clinician_id=1, consent_id=1, screening_id=1, started_at=NOW, **record)
        for seq, settings in electrical.items():
            _insert(
                conn, "insertion", id=seq, session_id=1, seq=seq, target_id="gluteus_medius", side="left",
                technique="trigger_point_dn" if settings is None else "electrical_dn", needle_length_mm=50,
                needle_gauge_mm=0.3, depth_mm=30, twitch_responses=0, retention_s=600, electrical=settings,
            )  # fmt: skip
        for did, regions in drawings.items():
            _insert(conn, "pain_drawing", id=did, drawn_on=date(2026, 2, 1), regions=regions, **record)
    return engine, electrical, drawings


def test_an_older_database_upgrades_without_losing_a_value(db_url: str) -> None:
    engine, electrical, drawings = _old_database(db_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        assert "electrical" not in {c["name"] for c in sa.inspect(conn).get_columns("insertion")}
        circuits = {
            row.lead_a_id: row
            for row in conn.execute(sa.text("SELECT * FROM electrical_circuit ORDER BY seq")).mappings()
        }
        rows = dict(conn.execute(sa.text("SELECT id, regions FROM pain_drawing")).all())
        versions = dict(conn.execute(sa.text("SELECT id, version FROM pain_drawing")).all())

    # one circuit per needle that had settings; the partner needle was never recorded
    assert set(circuits) == {n for n, v in electrical.items() if v is not None}
    assert [c["seq"] for c in circuits.values()] == list(range(1, len(circuits) + 1))
    for needle, c in circuits.items():
        assert c["lead_b_id"] is None
        original = json.loads(c["migrated_from"])  # every original value kept, NaN and inf included
        for name, value in electrical[needle].items():
            assert original[name] == value or (math.isnan(value) and math.isnan(original[name]))
    assert [circuits[1][k] for k in VALID] == [float(v) for v in VALID.values()]
    assert circuits[2]["frequency_hz"] is None and circuits[2]["duration_s"] is None
    assert circuits[2]["pulse_width_us"] == 250.0
    if 4 in circuits:
        assert circuits[4]["frequency_hz"] is None and circuits[4]["intensity_ma"] is None

    # drawings: the one drawing shape, the stricter (higher) intensity kept, zero dropped
    def regions(value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value

    temple = ["right-temple-anterior", "right-temple-middle", "right-temple-posterior"]
    assert sorted(r["region"] for r in regions(rows[1])) == temple and versions[1] == 1
    assert all(r["intensity"] == 6 for r in regions(rows[1]))
    assert sorted((r["region"], r["intensity"]) for r in regions(rows[2])) == sorted(
        [(t, 6) for t in temple] + [("right-eyebrow-lateral", 4), ("right-eyebrow-medial", 4)]
    )  # 5.5 rounds up to 6 (the temple drawn again at 3 is kept once, at 6); 0 is dropped; 4.0 is 4
    assert all(isinstance(r["intensity"], int) for r in regions(rows[2]))
    assert versions[2] == 2
    for stored in rows.values():
        read_regions(regions(stored))  # every stored drawing reads back through DrawnRegion

    doc = Actor(user_id=1, clinic_id=1, role=Role.CLINICIAN)
    with transaction(session_factory(engine)) as s:
        history = amendments.history(s, actor=doc, entity="pain_drawing", entity_id=2)
        timeline = reads.timeline(s, actor=doc, patient_id=1)
    (change,) = history  # what revision concepts changed, kept (on the atlas revision bodychart gave it)
    before = convert_drawing(drawings[2])
    assert change.changes["regions"]["old"] == before and change.from_version == 1
    assert amendments.original({"regions": regions(rows[2])}, history)["regions"] == before
    (session,) = timeline.sessions
    assert [c.lead_a for c in session.circuits] == sorted(circuits)
    engine.dispose()


def test_downgrade_puts_the_settings_back_on_the_needles(db_url: str) -> None:
    engine, electrical, _ = _old_database(db_url)
    upgrade(engine)
    from alembic import command

    from filiform.storage.migrate import alembic_config

    command.downgrade(alembic_config(engine), "portal")  # only this revision: back to per-needle settings
    with engine.connect() as conn:
        back = dict(conn.execute(sa.text("SELECT id, electrical FROM insertion ORDER BY id")).all())
    for needle, settings in electrical.items():
        restored = json.loads(back[needle]) if isinstance(back[needle], str) else back[needle]
        if settings is None:
            assert restored is None
        elif all(isinstance(v, int | float) and math.isfinite(v) for v in settings.values()):
            assert restored == settings
    engine.dispose()
