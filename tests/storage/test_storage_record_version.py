"""Every write to a patient's record moves the patient's ``record_version``, on both databases.

Pages cache what they read by (patient, version) (``services/records/page_cache.py``), so
a write that left the counter alone would show an old record.  The triggers sit in the
database, so they see every writer; here each table that belongs to the record is
written with plain SQL (no service, no ORM) and the counter must move: an update of an
existing demo row in every covered table, a delete, a new patient, a rename of a user.
A table that carries ``patient_id`` or a session's id and is neither covered nor named
as exempt fails the coverage test, so a new table cannot be forgotten.
"""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from filiform.services.operations.demo import generate
from filiform.storage.models import Base

MIGRATION = importlib.import_module("filiform.storage.migrations.versions.0012_pagecache")
# not part of what a page shows, and written all the time (reads, typing, the mail queue)
EXEMPT = {"audit_log", "form_draft", "outbox_message", "record_version"}


def _versions(conn: sa.Connection) -> dict[int, int]:
    return {int(p): int(v) for p, v in conn.execute(sa.text("SELECT patient_id, version FROM record_version"))}


def _patient_of(conn: sa.Connection, table: str, row_id: int) -> int:
    if table in MIGRATION.SESSION_ROWS:
        sql = f"SELECT s.patient_id FROM {table} t JOIN treatment_session s ON s.id = t.session_id WHERE t.id = :i"
    else:
        sql = f"SELECT patient_id FROM {table} WHERE id = :i"
    return int(conn.execute(sa.text(sql), {"i": row_id}).scalar_one())


def test_every_table_of_the_record_is_covered() -> None:
    with_patient = {t.name for t in Base.metadata.tables.values() if "patient_id" in t.c}
    with_session = {t.name for t in Base.metadata.tables.values() if "session_id" in t.c and "patient_id" not in t.c}
    assert with_patient - EXEMPT == set(MIGRATION.PATIENT_ROWS)
    assert with_session == set(MIGRATION.SESSION_ROWS)


def test_a_write_to_any_table_of_the_record_moves_its_patient_only(db_engine: Engine) -> None:
    generate(db_engine, patients=3, seed=5)
    tried: list[str] = []
    with db_engine.begin() as conn:
        for table in (*MIGRATION.PATIENT_ROWS, *MIGRATION.SESSION_ROWS):
            row_id = conn.execute(sa.text(f"SELECT MIN(id) FROM {table}")).scalar()
            if row_id is None:
                continue  # the demo clinic has no such row; the coverage test still names it
            pid = _patient_of(conn, table, int(row_id))
            before = _versions(conn)
            conn.execute(sa.text(f"UPDATE {table} SET id = id WHERE id = :i"), {"i": row_id})
            after = _versions(conn)
            assert after[pid] > before[pid], table
            assert {p: v for p, v in after.items() if p != pid} == {p: v for p, v in before.items() if p != pid}
            tried.append(table)
    assert len(tried) >= 8, tried  # sessions, needles, circuits, episodes, drawings, outcomes, consents...


def test_insert_delete_new_patient_and_rename(db_engine: Engine) -> None:
    generate(db_engine, patients=2, seed=5)
    with db_engine.begin() as conn:
        pid, clinic = conn.execute(sa.text("SELECT id, clinic_id FROM patient ORDER BY id LIMIT 1")).one()
        before = _versions(conn)
        ae = conn.execute(sa.text("SELECT id FROM adverse_event WHERE patient_id = :p LIMIT 1"), {"p": pid}).scalar()
        needle = conn.execute(
            sa.text(
                "SELECT i.id FROM insertion i JOIN treatment_session s ON s.id = i.session_id WHERE s.patient_id = :p"
            ),
            {"p": pid},
        ).first()
        assert needle is not None
        conn.execute(sa.text("DELETE FROM electrical_circuit WHERE lead_a_id = :i OR lead_b_id = :i"), {"i": needle[0]})
        after_circuits = _versions(conn)[pid]
        conn.execute(sa.text("DELETE FROM insertion WHERE id = :i"), {"i": needle[0]})
        assert _versions(conn)[pid] > max(before[pid], after_circuits - 1)
        if ae is not None:
            v = _versions(conn)[pid]
            conn.execute(sa.text("DELETE FROM adverse_event WHERE id = :i"), {"i": ae})
            assert _versions(conn)[pid] > v
        v = _versions(conn)[pid]
        conn.execute(sa.text("UPDATE patient SET phone = '555-0199' WHERE id = :p"), {"p": pid})
        assert _versions(conn)[pid] > v
        all_before = _versions(conn)
        conn.execute(sa.text("UPDATE app_user SET display_name = 'Renamed' WHERE clinic_id = :c"), {"c": clinic})
        renamed = _versions(conn)
        ours = set(conn.execute(sa.text("SELECT id FROM patient WHERE clinic_id = :c"), {"c": clinic}).scalars())
        assert all(renamed[p] > all_before[p] for p in ours)
        new_id = int(conn.execute(sa.text("SELECT MAX(id) + 1000 FROM patient")).scalar_one())
        conn.execute(
            sa.text(
                "INSERT INTO patient (id, clinic_id, mrn, given_name, family_name, birth_date, sex, version, "
                "created_at, updated_at, contact) VALUES (:i, :c, 'NEW-1', 'New', 'Person', '1990-01-01', 'female', "
                "1, '2026-01-01 00:00:00', '2026-01-01 00:00:00', '{}')"
            ),
            {"i": new_id, "c": clinic},
        )
        first = _versions(conn)[new_id]
        conn.execute(sa.text("DELETE FROM patient WHERE id = :i"), {"i": new_id})
        assert _versions(conn)[new_id] > first  # the counter outlives the patient
        conn.execute(
            sa.text(
                "INSERT INTO patient (id, clinic_id, mrn, given_name, family_name, birth_date, sex, version, "
                "created_at, updated_at, contact) VALUES (:i, :c, 'NEW-2', 'Other', 'Person', '1991-01-01', 'male', "
                "1, '2026-01-01 00:00:00', '2026-01-01 00:00:00', '{}')"
            ),
            {"i": new_id, "c": clinic},
        )
        assert _versions(conn)[new_id] > first + 1  # a reused id never meets an old number
