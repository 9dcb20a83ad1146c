"""Revision ``clinicflow`` on a database written at ``concepts``, on SQLite and PostgreSQL.

The older database is written through the real services (so its audit entries hash its rows
as they were), upgraded, and checked: every patient, episode and outcome row is unchanged
value for value, the audit trail (row hashes included) still verifies, each clinic's MRN
sequence continues after its highest all-digit MRN, and the new pages' services work on it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from filiform.services.access import users
from filiform.services.access.context import Actor, Role
from filiform.services.operations import audit
from filiform.services.records import clinical, outcomes, patients, saved_plans
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.migrate import alembic_config, current_revision, head_revision, upgrade

PASSWORD = "correct horse battery"
TABLES = ("patient", "episode", "outcome_response", "consent")
WORDS = ("Uno", "Dos", "Tres", "Cuatro")
MRNS = {"north": ["000041", "BR-0001", "7", "123456789012"], "south": ["BR-0002"]}


def _clinician(s: Any, name: str) -> Actor:
    clinic, admin = users.create_clinic(s, name=name, admin_username=f"admin-{name}", admin_password=PASSWORD)
    boss = Actor(user_id=admin.id, clinic_id=clinic.id, role=Role.ADMIN)
    doc = users.create_user(s, actor=boss, username=f"doc-{name}", display_name="Doc", role=Role.CLINICIAN,
                            password=PASSWORD)  # fmt: skip
    return Actor(user_id=doc.id, clinic_id=clinic.id, role=Role.CLINICIAN)


def _old_database(url: str) -> tuple[Engine, dict[str, Actor]]:
    engine = make_engine(url)
    upgrade(engine, "concepts")
    assert current_revision(engine) == "concepts"
    actors: dict[str, Actor] = {}
    with transaction(session_factory(engine)) as s:
        for name, mrns in MRNS.items():
            doc = actors[name] = _clinician(s, name)
            for n, mrn in enumerate(mrns):
                p = patients.register_patient(
                    s,
                    actor=doc,
                    details={"mrn": mrn, "given_name": "Zoë", "family_name": f"Núñez {WORDS[n]}",
                             "birth_date": "1980-01-02", "sex": "female"},
                )  # fmt: skip
                clinical.open_episode(
                    s, actor=doc, patient_id=p.id,
                    details={"condition": "neck pain", "icd10_codes": ["M54.2"], "opened_on": "2026-01-05",
                             "plan": "3 sessions, then review"},
                )  # fmt: skip
                outcomes.record_outcome(
                    s, actor=doc, patient_id=p.id,
                    details={"instrument_id": "nprs", "answers": [6], "completed_on": "2026-01-05"},
                )  # fmt: skip
    return engine, actors


def _snapshot(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as conn:
        return {
            t: [dict(r) for r in conn.execute(sa.text(f"SELECT * FROM {t} ORDER BY id")).mappings()] for t in TABLES
        }


def test_an_older_database_upgrades_and_every_row_and_hash_survives(db_url: str) -> None:
    engine, actors = _old_database(db_url)
    before = _snapshot(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert _snapshot(engine) == before  # no row changed, value for value
    factory = session_factory(engine)
    with factory() as s:
        report = audit.verify(s)
    assert report.ok, report.problems
    assert report.rows_checked >= sum(len(m) for m in MRNS.values()) * 3
    with engine.connect() as conn:
        seq = dict(conn.execute(sa.text("SELECT clinic_id, next_value FROM mrn_sequence")).all())
    assert seq == {actors["north"].clinic_id: 42, actors["south"].clinic_id: 1}  # 000041 -> 42; 7 is lower

    with transaction(factory) as s:
        new = patients.register_patient(
            s,
            actor=actors["north"],
            details={"given_name": "New", "family_name": "Person", "birth_date": "1990-05-05", "sex": "male"},
        )
        assert new.mrn == "000042"
        found = patients.search_patients(s, actor=actors["north"], query="nunez dos")
        assert [p.mrn for p in found] == ["BR-0001"]
        assert saved_plans.saved_plans(s, actor=actors["north"], patient_id=found[0].id) == []
    engine.dispose()


def test_downgrade_drops_only_the_new_tables(db_url: str) -> None:
    engine, _ = _old_database(db_url)
    before = _snapshot(engine)
    upgrade(engine)
    command.downgrade(alembic_config(engine), "concepts")
    assert current_revision(engine) == "concepts"
    tables = set(sa.inspect(engine).get_table_names())
    assert not {"form_draft", "mrn_sequence", "episode_plan", "outcome_activity"} & tables
    assert _snapshot(engine) == before
    engine.dispose()


def test_next_numbers_follow_the_highest_all_digit_mrn() -> None:
    from importlib import import_module

    migration = import_module("filiform.storage.migrations.versions.0009_clinicflow")
    assert migration.next_numbers([(1, "000041"), (1, "BR-9"), (1, "7"), (2, "X"), (3, "1234567890")]) == {
        1: 42,
        2: 1,
        3: 1,
    }
