"""Batched audit appends write what one-by-one appends write, and the chain verifies.

Two databases get the same entries: one through ``audit.append`` one at a time, one
through ``audit_batch.append_many``; every stored field (seq, previous hash, HMAC) must
be equal, on SQLite and PostgreSQL, with entries of two chains interleaved.
"""

from __future__ import annotations

import sqlalchemy as sa
from services_world import World

from filiform.services.operations import audit
from filiform.services.operations.audit_batch import append_many
from filiform.storage.engine import transaction
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
    with transaction(world.factory) as s:
        assert append_many(s, entries) == len(entries)
    assert _chain_rows(world, chains) == expected
    with world.factory() as s:
        assert list(audit.verify(s, rows=False).problems) == []


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
