"""Streaming reads for the exporter and the billing summary: one indexed query per table.

Rows come back as mappings in id order with ``yield_per`` so that a 100k-patient clinic
is exported in constant memory; sessions arrive joined to their insertions, grouped, so
that the session Procedure can carry its CPT code without a second pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from filiform.storage.models import Base

YIELD = 5000
T = Base.metadata.tables
INSERTION_COLS = (
    "id",
    "seq",
    "target_id",
    "side",
    "technique",
    "needle_length_mm",
    "needle_gauge_mm",
    "depth_mm",
    "twitch_responses",
    "retention_s",
    "electrical",
)


def rows(conn: Connection, table: str, clinic_id: int, patient_id: int | None = None) -> Iterator[Mapping[Any, Any]]:
    t = T[table]
    stmt = sa.select(t).where(t.c.clinic_id == clinic_id)
    if patient_id is not None:
        stmt = stmt.where((t.c.id if table == "patient" else t.c.patient_id) == patient_id)
    result = conn.execute(stmt.order_by(t.c.id).execution_options(yield_per=YIELD))
    for row in result:
        yield row._mapping


def sessions(
    conn: Connection, clinic_id: int, patient_id: int | None = None
) -> Iterator[tuple[Mapping[Any, Any], list[Mapping[Any, Any]]]]:
    """(session, insertions in seq order) for every session, in session-id order."""
    s, i = T["treatment_session"], T["insertion"]
    cols = [i.c[name].label(f"i_{name}") for name in INSERTION_COLS]
    stmt = sa.select(s, *cols).select_from(s.outerjoin(i, i.c.session_id == s.c.id)).where(s.c.clinic_id == clinic_id)
    if patient_id is not None:
        stmt = stmt.where(s.c.patient_id == patient_id)
    result = conn.execute(stmt.order_by(s.c.id, i.c.seq).execution_options(yield_per=YIELD))
    current: Mapping[Any, Any] | None = None
    group: list[Mapping[Any, Any]] = []
    for row in result:
        m = row._mapping
        if current is None or m["id"] != current["id"]:
            if current is not None:
                yield current, group
            current, group = m, []
        if m["i_id"] is not None:
            group.append({name: m[f"i_{name}"] for name in INSERTION_COLS})
    if current is not None:
        yield current, group


def count(conn: Connection, table: str, clinic_id: int) -> int:
    t = T[table]
    return int(conn.scalar(sa.select(sa.func.count()).select_from(t).where(t.c.clinic_id == clinic_id)) or 0)
