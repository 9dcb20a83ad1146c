"""Backup and restore of a whole demo clinic: every table, every row, every column equal.

The demo world has sessions, insertions, circuits, outcomes, adverse events and the audit
trail, so a table a backup forgot (or a column it mangled) shows here.  Runs on SQLite and
on PostgreSQL (the pg_dump path).  The only rows allowed to differ are named: the restore's
own audit entry in the system chain, and that chain's head.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from services_world import edn_pair
from sqlalchemy.engine import Engine

import filiform.storage.models  # noqa: F401  (every table registered on the metadata)
from filiform.services.access import totp
from filiform.services.access.context import Actor, Role
from filiform.services.operations import audit, backup, restore
from filiform.services.operations.demo import generate
from filiform.services.records import amendments, sessions
from filiform.storage.base import Base
from filiform.storage.engine import make_engine, session_factory, transaction


def _target_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if db_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    cluster = request.getfixturevalue("pg_cluster")
    return str(cluster.create_database(f"r_{uuid.uuid4().hex[:10]}"))


def _dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in primary-key order (alembic_version included)."""
    tables = {"alembic_version": sa.table("alembic_version", sa.column("version_num"))}
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        out["alembic_version"] = [tuple(r) for r in conn.execute(sa.select(tables["alembic_version"]))]
        for table in Base.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            out[table.name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*order))]
    return out


def _add_what_the_demo_lacks(engine: Engine, clinic_id: int) -> None:
    """An amendment, an electrical session with its circuit and a TOTP enrolment."""
    with engine.connect() as conn:
        user_id, patient_id = conn.execute(
            sa.text(
                "SELECT u.id, p.id FROM app_user u JOIN patient p ON p.clinic_id = u.clinic_id "
                "WHERE u.clinic_id = :c AND u.role = 'clinician' ORDER BY u.id, p.id LIMIT 1"
            ),
            {"c": clinic_id},
        ).one()
    doc = Actor(user_id=int(user_id), clinic_id=clinic_id, role=Role.CLINICIAN, client="test")
    with transaction(session_factory(engine)) as s:
        amendments.amend(
            s,
            actor=doc,
            entity="patient",
            entity_id=int(patient_id),
            changes={"phone": "555-0199"},
            reason="phone number corrected",
            expected_version=1,
        )
        sessions.record_session(
            s,
            actor=doc,
            patient_id=int(patient_id),
            documented={"started_at": datetime.now(UTC) - timedelta(minutes=1), **edn_pair()},
        )
        totp.enable_totp(s, actor=doc)


def test_every_table_survives_backup_and_restore(
    db_engine: Engine, db_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    stats = generate(db_engine, patients=3, seed=5)
    assert stats.rows.get("treatment_session", 0) > 5 and stats.rows.get("insertion", 0) > 10
    _add_what_the_demo_lacks(db_engine, stats.clinic_id)
    out = tmp_path / "clinic.bk"
    backup.backup(db_url, out, passphrase="a long backup passphrase")
    before = _dump(db_engine)
    target = _target_url(db_url, tmp_path, request)
    result = restore.restore(out, target, passphrase="a long backup passphrase")
    assert result.ok, (result.report.problems, result.integrity)
    restored_engine = make_engine(target)
    try:
        after = _dump(restored_engine)
    finally:
        restored_engine.dispose()
    assert set(after) == set(before)
    filled = {name for name, rows in before.items() if rows}
    assert {
        "patient",
        "consent",
        "screening",
        "episode",
        "pain_drawing",
        "treatment_session",
        "insertion",
        "electrical_circuit",
        "adverse_event",
        "outcome_response",
        "amendment",
        "user_totp",
        "audit_log",
    } <= filled
    assert sum(len(rows) for rows in before.values()) > 100
    for name in sorted(before):
        if name in ("audit_log", "audit_head"):
            continue
        assert after[name] == before[name], f"table {name} differs after restore"
    chain = audit.SYSTEM_CHAIN
    log = Base.metadata.tables["audit_log"]
    chain_col = list(log.columns).index(log.c.chain)
    action_col = list(log.columns).index(log.c.action)
    new = [r for r in after["audit_log"] if r not in before["audit_log"]]
    assert [(r[chain_col], r[action_col]) for r in new] == [(chain, "restore")]
    assert [r for r in after["audit_log"] if r not in new] == before["audit_log"]
    head = Base.metadata.tables["audit_head"]
    head_chain = list(head.columns).index(head.c.chain)
    assert [r for r in after["audit_head"] if r[head_chain] != chain] == [
        r for r in before["audit_head"] if r[head_chain] != chain
    ]
