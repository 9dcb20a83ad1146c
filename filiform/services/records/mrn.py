"""Medical record numbers handed out by a per-clinic sequence (when the form leaves MRN empty).

Why a table and not ``max(mrn) + 1``: two registrations at the same moment must never get
the same number, on SQLite or PostgreSQL.  ``UPDATE ... RETURNING`` on the clinic's
``mrn_sequence`` row takes that row's lock (PostgreSQL) or the database's write lock
(SQLite), so each caller gets its own number, and a registration that is rolled back
gives its number back with it.  A number someone already typed by hand is skipped.
"""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from filiform.storage.models import MrnSequence, Patient

WIDTH = 6  # 000042: sorts as text in the order it was given
MAX_DIGITS = 9


def format_mrn(number: int) -> str:
    return f"{number:0{WIDTH}d}"


def _start(session: Session, clinic_id: int) -> int:
    """One more than the clinic's highest all-digit MRN (a clinic created after the migration)."""
    mrns = session.execute(sa.select(Patient.mrn).where(Patient.clinic_id == clinic_id)).scalars()
    numbers = [int(m) for m in mrns if m.isdigit() and len(m) <= MAX_DIGITS]
    return max(numbers, default=0) + 1


def _take(session: Session, clinic_id: int) -> int | None:
    table = cast(sa.Table, MrnSequence.__table__)
    stmt = (
        sa.update(table)
        .where(table.c.clinic_id == clinic_id)
        .values(next_value=table.c.next_value + 1)
        .returning(table.c.next_value)
    )
    value = session.execute(stmt).scalar_one_or_none()
    return None if value is None else int(value) - 1


def _take_or_start(session: Session, clinic_id: int) -> int:
    taken = _take(session, clinic_id)
    if taken is not None:
        return taken
    try:
        with session.begin_nested():
            session.add(MrnSequence(clinic_id=clinic_id, next_value=_start(session, clinic_id)))
    except IntegrityError:  # another registration created the row first: use it
        pass
    taken = _take(session, clinic_id)
    assert taken is not None
    return taken


def next_mrn(session: Session, clinic_id: int) -> str:
    """The clinic's next free MRN (numbers already typed by hand are skipped)."""
    while True:
        candidate = format_mrn(_take_or_start(session, clinic_id))
        used = session.scalar(sa.select(Patient.id).where(Patient.clinic_id == clinic_id, Patient.mrn == candidate))
        if used is None:
            return candidate
