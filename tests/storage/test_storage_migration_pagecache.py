"""Revision ``pagecache`` on a database written at ``fhir``, on SQLite and PostgreSQL.

Patients and their records written at the older revision survive the upgrade unchanged;
each patient gets its ``record_version`` row at 1, and the triggers work from then on
(a new session moves its patient's counter). Downgrading removes the table and triggers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from filiform.storage.engine import make_engine
from filiform.storage.migrate import alembic_config, current_revision, head_revision, upgrade

CREATED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _insert(conn: sa.Connection, table: str, **values: Any) -> None:
    conn.execute(sa.Table(table, sa.MetaData(), autoload_with=conn).insert().values(**values))


def _old_database(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine, "fhir")
    assert current_revision(engine) == "fhir"
    with engine.begin() as conn:
        _insert(conn, "clinic", id=1, name="Old clinic", created_at=CREATED, updated_at=CREATED)
        _insert(
            conn, "app_user", id=1, clinic_id=1, username="doc", display_name="Doc", role="clinician",
            password_hash="x", active=True, created_at=CREATED, updated_at=CREATED,
        )  # fmt: skip
        for pid in (1, 2):
            _insert(
                conn, "patient", id=pid, clinic_id=1, mrn=f"OLD-{pid}", given_name="Ada", family_name=f"Older{pid}",
                birth_date=date(1970, 1, pid), sex="female", version=1, created_at=CREATED, updated_at=CREATED,
                contact={},
            )  # fmt: skip
        _insert(
            conn, "episode", id=1, clinic_id=1, patient_id=1, condition="Lateral elbow pain", icd10_codes=["M77.11"],
            opened_on=date(2026, 1, 5), version=1, created_by=1, created_at=CREATED, updated_at=CREATED,
        )  # fmt: skip
    return engine


def _tables_and_triggers(engine: Engine) -> tuple[set[str], int]:
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        if engine.dialect.name == "sqlite":
            sql = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%_rv_%'"
        else:
            sql = "SELECT COUNT(*) FROM pg_trigger WHERE tgname LIKE '%\\_rv%' AND NOT tgisinternal"
        return tables, int(conn.execute(sa.text(sql)).scalar_one())


def test_an_older_database_upgrades_with_a_version_per_patient(db_url: str) -> None:
    engine = _old_database(db_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.begin() as conn:
        patients = conn.execute(sa.text("SELECT id, mrn, family_name, version FROM patient ORDER BY id")).all()
        assert [tuple(p) for p in patients] == [(1, "OLD-1", "Older1", 1), (2, "OLD-2", "Older2", 1)]
        episode = conn.execute(sa.text("SELECT patient_id, condition FROM episode")).one()
        assert tuple(episode) == (1, "Lateral elbow pain")
        versions = dict(conn.execute(sa.text("SELECT patient_id, version FROM record_version")).all())
        assert versions == {1: 1, 2: 1}
        conn.execute(sa.text("UPDATE episode SET condition = 'Elbow pain' WHERE id = 1"))
        versions = dict(conn.execute(sa.text("SELECT patient_id, version FROM record_version")).all())
        assert versions[1] > 1 and versions[2] == 1
    tables, triggers = _tables_and_triggers(engine)
    assert "record_version" in tables and triggers > 20


def test_downgrade_removes_the_table_and_its_triggers(db_url: str) -> None:
    engine = _old_database(db_url)
    upgrade(engine)
    command.downgrade(alembic_config(engine), "fhir")
    tables, triggers = _tables_and_triggers(engine)
    assert "record_version" not in tables and triggers == 0
    with engine.begin() as conn:  # writes work without the triggers
        conn.execute(sa.text("UPDATE episode SET condition = 'Elbow pain' WHERE id = 1"))
