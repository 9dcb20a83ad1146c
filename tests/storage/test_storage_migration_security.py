"""Migration 0004 (``security``) on a database written by the previous release.

Real clinics hold audit rows in the plain SHA-256 format: after the upgrade those rows
still verify, new rows are keyed, the boundary is recorded per chain, every user row
survives (and can log in as before), and an edit to an old entry is still detected.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from sqlalchemy.engine import Engine

from filiform.services.access import auth_sessions
from filiform.services.access.context import Actor, Role
from filiform.services.operations import audit
from filiform.storage.engine import session_factory, transaction
from filiform.storage.migrate import current_revision, head_revision, upgrade

GENESIS = "0" * 64
PASSWORD = "an older clinic's password"


def _old_hash(row: dict[str, object]) -> str:
    """How release 0003 hashed an entry (SHA-256 of canonical JSON), written out here."""
    names = ("chain", "seq", "at", "user_id", "clinic_id", "role", "client", "action", "entity")
    names += ("entity_id", "patient_id", "detail", "prev_hash")
    text = json.dumps({n: row[n] for n in names}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _old_database(engine: Engine) -> None:
    upgrade(engine, "0003")
    now = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO clinic (id, name, created_at) VALUES (1, 'Old Clinic', :t)"), {"t": now})
        conn.execute(
            sa.text(
                "INSERT INTO app_user (id, clinic_id, username, display_name, role, password_hash, active, created_at)"
                " VALUES (1, 1, 'old_admin', 'Admin', 'admin', :h, :a, :t)"
            ),
            {"h": PasswordHasher.from_parameters(CHEAPEST).hash(PASSWORD), "a": True, "t": now},
        )
        prev = GENESIS
        for seq in range(1, 6):
            row = {
                "chain": 1,
                "seq": seq,
                "at": f"2026-11-01T09:00:0{seq}.000000+00:00",
                "user_id": 1,
                "clinic_id": 1,
                "role": "admin",
                "client": "127.0.0.1",
                "action": "read",
                "entity": "patient",
                "entity_id": seq,
                "patient_id": seq,
                "detail": "{}",
                "prev_hash": prev,
            }
            row["hash"] = prev = _old_hash(row)
            conn.execute(sa.insert(sa.table("audit_log", *(sa.column(k) for k in row))).values(**row))
        conn.execute(sa.text("INSERT INTO audit_head (chain, seq, hash) VALUES (1, 5, :h)"), {"h": prev})


def test_upgrade_keeps_the_plain_chain_verifiable_and_keys_new_entries(db_url: str) -> None:
    from filiform.storage.engine import make_engine

    engine = make_engine(db_url)
    _old_database(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    factory = session_factory(engine)
    with engine.connect() as conn:
        heads = dict(conn.execute(sa.text("SELECT chain, keyed_from FROM audit_head")).all())
        old = conn.execute(sa.text("SELECT seq, key_id, rows FROM audit_log ORDER BY seq")).all()
        user = conn.execute(sa.text("SELECT username, active, must_change_password FROM app_user")).one()
        epoch = conn.scalar(sa.text("SELECT epoch FROM auth_state WHERE id = 1"))
    assert heads == {0: 1, 1: 6}  # the system chain was empty; clinic 1 is keyed from seq 6
    assert [(r.seq, r.key_id, r.rows) for r in old] == [(n, None, None) for n in range(1, 6)]
    assert (user.username, bool(user.active), bool(user.must_change_password)) == ("old_admin", True, False)
    assert epoch == 0
    with factory() as s:
        assert audit.verify(s).ok
    with transaction(factory) as s:  # the old user still logs in; the login is a keyed entry
        result = auth_sessions.login(s, username="old_admin", password=PASSWORD, totp=None, client="t")
    assert result.ok
    with transaction(factory) as s:
        audit.record(s, actor=Actor(user_id=1, clinic_id=1, role=Role.ADMIN), action="read", entity="dashboard")
    with engine.connect() as conn:
        new = conn.execute(sa.text("SELECT seq, key_id FROM audit_log WHERE chain = 1 AND seq > 5")).all()
    assert new and all(r.key_id is not None and r.key_id.startswith("k") for r in new)
    with factory() as s:
        assert audit.verify(s).ok
    with engine.begin() as conn:  # an edit to a pre-migration entry is still caught
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_log_append_only ON audit_log")
        conn.exec_driver_sql("UPDATE audit_log SET entity_id = 99 WHERE chain = 1 AND seq = 2")
    with factory() as s:
        problems = audit.verify(s).problems
    assert any("seq 2" in p for p in problems)
    engine.dispose()
