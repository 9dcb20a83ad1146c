"""Revision ``fhir`` on a database written at ``clinicflow``, on SQLite and PostgreSQL.

Rows in the older format (no ``updated_at``, no diagnosis, no contact column, a proposal
that needed a portal link) are written at the older revision, upgraded, and checked: every
row is still there with its values; ``updated_at`` is the time of the record's newest
amendment, else its creation (a user's password change counts), never the upgrade time;
episodes have no diagnosis chosen; patients have an empty contact; a proposed screening
may now have no link. Downgrading back removes only what the revision added.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from filiform.storage.engine import make_engine
from filiform.storage.migrate import alembic_config, current_revision, head_revision, upgrade

CREATED = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
AMENDED_1 = CREATED + timedelta(days=3)
AMENDED_2 = CREATED + timedelta(days=9, hours=2)
PASSWORD_CHANGED = CREATED + timedelta(days=1)


def _insert(conn: sa.Connection, table: str, **values: Any) -> None:
    conn.execute(sa.Table(table, sa.MetaData(), autoload_with=conn).insert().values(**values))


def _old_database(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine, "pointofcare")
    assert current_revision(engine) == "pointofcare"
    with engine.begin() as conn:
        _insert(conn, "clinic", id=1, name="Old clinic", created_at=CREATED)
        user = {"clinic_id": 1, "role": "clinician", "password_hash": "x", "active": True, "created_at": CREATED}
        _insert(conn, "app_user", id=1, username="doc", display_name="Doc", **user)
        _insert(
            conn, "app_user", id=2, username="new", display_name="New", password_changed_at=PASSWORD_CHANGED, **user
        )
        for pid in (1, 2):
            _insert(
                conn, "patient", id=pid, clinic_id=1, mrn=f"OLD-{pid}", given_name="Ada", family_name=f"Older{pid}",
                birth_date=date(1970, 1, pid), sex="female", version=3 if pid == 1 else 1, created_at=CREATED,
            )  # fmt: skip
        record = {"clinic_id": 1, "version": 1, "created_by": 1, "created_at": CREATED}
        _insert(
            conn, "episode", id=1, patient_id=1, condition="Lateral elbow pain", icd10_codes=["M77.11", "M79.1"],
            opened_on=date(2026, 1, 5), **record,
        )  # fmt: skip
        for n, (when, old) in enumerate(((AMENDED_1, "555-0100"), (AMENDED_2, "555-0101")), start=1):
            _insert(
                conn, "amendment", id=n, clinic_id=1, patient_id=1, entity="patient", entity_id=1, from_version=n,
                changes={"phone": {"old": old, "new": "x"}}, reason="new number", amended_by=1, amended_at=when,
            )  # fmt: skip
    return engine


def _aware(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_an_older_database_upgrades_with_true_last_updated_times(db_url: str) -> None:
    engine = _old_database(db_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        patients = {r.id: r for r in conn.execute(sa.text("SELECT * FROM patient ORDER BY id"))}
        users = {r.id: r for r in conn.execute(sa.text("SELECT * FROM app_user ORDER BY id"))}
        (episode,) = conn.execute(sa.text("SELECT * FROM episode")).all()
        (clinic,) = conn.execute(sa.text("SELECT * FROM clinic")).all()
        amendments = conn.execute(sa.text("SELECT COUNT(*) FROM amendment")).scalar_one()
        nullable = {c["name"]: c["nullable"] for c in sa.inspect(conn).get_columns("intake_proposal")}
    assert [(p.mrn, p.family_name, p.version) for p in patients.values()] == [
        ("OLD-1", "Older1", 3),
        ("OLD-2", "Older2", 1),
    ]
    assert _aware(patients[1].updated_at) == AMENDED_2  # the newest amendment
    assert _aware(patients[2].updated_at) == CREATED  # never amended: its creation
    assert _aware(users[1].updated_at) == CREATED and _aware(users[2].updated_at) == PASSWORD_CHANGED
    assert _aware(clinic.updated_at) == CREATED and _aware(episode.updated_at) == CREATED
    codes = json.loads(episode.icd10_codes) if isinstance(episode.icd10_codes, str) else episode.icd10_codes
    assert codes == ["M77.11", "M79.1"] and episode.diagnosis_code is None  # nobody has chosen yet
    for p in patients.values():
        assert (json.loads(p.contact) if isinstance(p.contact, str) else p.contact) == {}
    assert amendments == 2 and nullable["link_id"] is True
    engine.dispose()


def test_downgrade_removes_only_what_the_revision_added(db_url: str) -> None:
    engine = _old_database(db_url)
    upgrade(engine)
    command.downgrade(alembic_config(engine), "pointofcare")
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        assert "updated_at" not in {c["name"] for c in inspector.get_columns("patient")}
        assert "diagnosis_code" not in {c["name"] for c in inspector.get_columns("episode")}
        assert "smart_client" not in inspector.get_table_names()
        assert conn.execute(sa.text("SELECT COUNT(*) FROM patient")).scalar_one() == 2
    upgrade(engine)  # and up again
    assert current_revision(engine) == head_revision()
    engine.dispose()
