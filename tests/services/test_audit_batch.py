"""Batched audit appends write what one-by-one appends write, and the chain verifies.

Two databases get the same entries: one through ``audit.append`` one at a time, one
through ``audit_batch.append_many``; every stored field (seq, previous hash, HMAC) must
be equal, on SQLite and PostgreSQL, with entries of two chains interleaved.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from services_world import World

from filiform.services.access.context import Actor, Role
from filiform.services.operations import audit
from filiform.services.operations.audit_batch import append_many, append_sqlite
from filiform.services.operations.audit_entries import engine_ring
from filiform.storage.engine import make_engine, session_factory, sqlite_write_cursor, transaction
from filiform.storage.migrate import upgrade
from filiform.storage.models import AuditHead, AuditLog

FIELDS = ("chain", "seq", "at", "user_id", "action", "entity", "entity_id", "patient_id", "detail", "prev_hash")


def _entries(world: World) -> list[audit.Pending]:
    a, b = world.clinician, world.other_clinician
    out = []
    for i in range(7):
        actor = a if i % 3 else b
        out.append(
            audit.pending(actor=actor, action="read", entity="timeline", entity_id=i, patient_id=i, detail={"n": i})
        )
    return out


def _chain_rows(world: World, chains: set[int]) -> list[tuple[object, ...]]:
    with world.factory() as s:
        rows = s.execute(
            sa.select(AuditLog).where(AuditLog.chain.in_(chains)).order_by(AuditLog.chain, AuditLog.seq)
        ).scalars()
        return [tuple(getattr(r, f) for f in (*FIELDS, "hash", "key_id")) for r in rows]


def test_batch_writes_the_same_entries_as_single_appends_and_verifies(world: World) -> None:
    entries = _entries(world)
    chains = {e.chain for e in entries}
    with world.factory() as s:
        start = {c: s.get(AuditHead, c) for c in chains}
        heads = {c: (h.seq, h.hash) if h else None for c, h in start.items()}
    # single appends inside a transaction that is rolled back: the reference
    with world.factory() as s, s.begin():
        for e in entries:
            audit.append(s, e)
        s.flush()
        expected = [
            tuple(getattr(r, f) for f in (*FIELDS, "hash", "key_id"))
            for r in s.execute(
                sa.select(AuditLog).where(AuditLog.chain.in_(chains)).order_by(AuditLog.chain, AuditLog.seq)
            ).scalars()
        ]
        s.rollback()
    with world.factory() as s:
        assert {c: (h.seq, h.hash) if (h := s.get(AuditHead, c)) else None for c in chains} == heads
    engine = world.factory.kw["bind"]
    if engine.dialect.name == "sqlite":  # the group-commit writer's path there: a plain cursor
        with sqlite_write_cursor(engine) as cursor:
            assert append_sqlite(cursor, entries, engine_ring(engine)) == len(entries)
    else:
        with transaction(world.factory) as s:
            assert append_many(s, entries) == len(entries)
    assert _chain_rows(world, chains) == expected
    with world.factory() as s:
        assert list(audit.verify(s, rows=False).problems) == []


def test_both_batch_paths_write_the_same_rows_on_sqlite(tmp_path: Path) -> None:
    """Two fresh databases, the same entries (a new chain included): through a session and
    through a plain cursor, every stored field is equal."""
    stored = []
    for name, use_cursor in (("session.db", False), ("cursor.db", True)):
        engine = make_engine(f"sqlite:///{tmp_path / name}")
        upgrade(engine)
        actor = Actor(user_id=1, clinic_id=7, role=Role.ADMIN)
        entries = [
            audit.pending(actor=actor, action="read", entity="timeline", entity_id=i, patient_id=i, detail={"n": i})
            for i in range(5)
        ]
        entries = [replace(e, at="2026-11-29T00:00:00+00:00") for e in entries]  # same moment in both
        if use_cursor:
            with sqlite_write_cursor(engine) as cursor:
                append_sqlite(cursor, entries, engine_ring(engine))
        else:
            with transaction(session_factory(engine)) as s:
                append_many(s, entries)
        with engine.connect() as conn:
            rows = conn.execute(sa.select(AuditLog.__table__).order_by(AuditLog.chain, AuditLog.seq)).all()
            head = conn.execute(sa.select(AuditHead.__table__)).all()
        # both files are in one folder, so they share its audit key file: HMACs equal too
        stored.append(([tuple(r) for r in rows], [tuple(h) for h in head]))
        with session_factory(engine)() as s:
            assert list(audit.verify(s, rows=False).problems) == []
        engine.dispose()
    assert stored[0] == stored[1] and len(stored[0][0]) == 5


def test_a_failed_cursor_batch_leaves_nothing_and_frees_the_writer(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'f.db'}")
    upgrade(engine)
    actor = Actor(user_id=1, clinic_id=1, role=Role.ADMIN)
    good = audit.pending(actor=actor, action="read", entity="patient")
    with pytest.raises(sqlite3.IntegrityError), sqlite_write_cursor(engine) as cursor:
        append_sqlite(cursor, [good], engine_ring(engine))
        cursor.execute("INSERT INTO audit_log (chain) VALUES (NULL)")  # refused: NOT NULL
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(AuditLog)).scalar_one() == 0
    with sqlite_write_cursor(engine) as cursor:  # the writer lock and the connection were given back
        append_sqlite(cursor, [good], engine_ring(engine))
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(AuditLog)).scalar_one() == 1
    engine.dispose()


def test_an_orm_append_after_a_batch_in_one_transaction_continues_the_chain(world: World) -> None:
    entries = _entries(world)
    with transaction(world.factory) as s:
        audit.append(s, entries[0])  # loads the head into the session
        append_many(s, entries[1:4])
        audit.append(s, entries[6])  # same chain as entries[0] and entries[3]
    with world.factory() as s:
        assert list(audit.verify(s, rows=False).problems) == []
        seqs = s.execute(sa.select(AuditLog.seq).where(AuditLog.chain == entries[1].chain)).scalars().all()
        assert len(seqs) == len(set(seqs))
