"""Reordering the audit log is detected, with the problem named where it happened.

Entries are really moved (their ``seq`` changed), not re-dated: a swap of two neighbours
and an entry moved to the end of its chain.
"""

from __future__ import annotations

import sqlalchemy as sa
from services_world import World
from sqlalchemy.engine import Engine

from filiform.services.operations import audit
from filiform.services.records import reads
from filiform.storage.models import AuditLog


def _drop_guards(engine: Engine) -> None:
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        else:
            conn.exec_driver_sql("DROP TRIGGER audit_log_append_only ON audit_log")


def _chain(world: World) -> list[tuple[int, int]]:
    """(seq, id) of the clinician's clinic chain, in seq order."""
    with world.factory() as s:
        rows = s.execute(
            sa.select(AuditLog.seq, AuditLog.id)
            .where(AuditLog.chain == world.clinician.clinic_id)
            .order_by(AuditLog.seq)
        ).all()
    return [(int(q), int(i)) for q, i in rows]


def _set_seq(engine: Engine, row_id: int, seq: int) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(AuditLog).where(AuditLog.id == row_id).values(seq=seq))


def _problems(world: World) -> list[str]:
    with world.factory() as s:
        return list(audit.verify(s, rows=False).problems)


def _grow(world: World) -> None:
    for _ in range(3):
        world.run(reads.timeline, actor=world.clinician, patient_id=world.patient_id)


def test_swapping_two_neighbouring_entries_is_detected_at_both(world: World, db_engine: Engine) -> None:
    _grow(world)
    assert _problems(world) == []
    chain = _chain(world)
    (s2, id2), (s3, id3) = chain[1], chain[2]
    _drop_guards(db_engine)
    _set_seq(db_engine, id2, -1)  # through a free value: (chain, seq) is unique
    _set_seq(db_engine, id3, s2)
    _set_seq(db_engine, id2, s3)
    c = world.clinician.clinic_id
    assert _problems(world) == [
        f"chain {c} seq {s2} (id {id3}): previous-hash link broken (deleted or altered entry)",
        f"chain {c} seq {s2} (id {id3}): content does not match its HMAC (entry edited)",
        f"chain {c} seq {s3} (id {id2}): previous-hash link broken (deleted or altered entry)",
        f"chain {c} seq {s3} (id {id2}): content does not match its HMAC (entry edited)",
        f"chain {c} seq {s3 + 1} (id {chain[3][1]}): previous-hash link broken (deleted or altered entry)",
    ]


def test_an_entry_moved_to_the_end_is_named_as_missing_where_it_was(world: World, db_engine: Engine) -> None:
    _grow(world)
    chain = _chain(world)
    (moved_seq, moved_id), (next_seq, next_id) = chain[1], chain[2]
    last = chain[-1][0]
    _drop_guards(db_engine)
    _set_seq(db_engine, moved_id, last + 1)
    c = world.clinician.clinic_id
    assert _problems(world) == [
        f"chain {c} seq {next_seq} (id {next_id}): expected seq {moved_seq}: entries missing or reordered",
        f"chain {c} seq {next_seq} (id {next_id}): previous-hash link broken (deleted or altered entry)",
        f"chain {c} seq {last + 1} (id {moved_id}): previous-hash link broken (deleted or altered entry)",
        f"chain {c} seq {last + 1} (id {moved_id}): content does not match its HMAC (entry edited)",
        f"chain {c}: head says seq {last} but the log ends at {last + 1}: newest entries deleted or head altered",
    ]


def test_the_report_counts_every_entry_and_every_chain(world: World) -> None:
    _grow(world)
    with world.factory() as s:
        entries = int(s.scalar(sa.select(sa.func.count()).select_from(AuditLog)) or 0)
        chains = int(s.scalar(sa.select(sa.func.count(sa.distinct(AuditLog.chain)))) or 0)
        report = audit.verify(s, rows=False)
    assert report.ok and (report.entries, report.chains) == (entries, chains)
    assert entries > 10 and chains >= 2
