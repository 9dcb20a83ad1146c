"""Streaming reads of a clinic's records, for exports (FHIR, billing) in constant memory.

Rows come back as mappings in id order with ``yield_per``, one indexed query per table;
sessions arrive with their needles (joined, grouped) and circuits (a second query in the
same order, merged), so a session's resources are built in one pass. The caller decides
the disclosure and audits it (``filiform.fhir.exporter``); these functions only read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from filiform.core.concepts import INSERTION_FIELDS
from filiform.errors import PermissionDenied
from filiform.services.access.context import Actor, Perm, Role
from filiform.storage.models import Base

YIELD = 5000
T = Base.metadata.tables
Row = Mapping[Any, Any]
NEEDLE_COLUMNS = ("id", "seq", *INSERTION_FIELDS)
CIRCUIT_COLUMNS = tuple(c.name for c in T["electrical_circuit"].columns)


def require_export(actor: Actor) -> None:
    """Clinical readers may export; so may the clinic admin (data portability, audited)."""
    if not (actor.can(Perm.READ_CLINICAL) or actor.role == Role.ADMIN):
        raise PermissionDenied(f"role '{actor.role.value}' may not export records")


def rows(conn: Connection, table: str, clinic_id: int, patient_id: int | None = None) -> Iterator[Row]:
    """Every row of a clinic's table (or one patient's), in id order."""
    t = T[table]
    stmt = sa.select(t).where(t.c.clinic_id == clinic_id)
    if patient_id is not None:
        stmt = stmt.where((t.c.id if table == "patient" else t.c.patient_id) == patient_id)
    result = conn.execute(stmt.order_by(t.c.id).execution_options(yield_per=YIELD))
    for row in result:
        yield row._mapping


def users(conn: Connection, clinic_id: int) -> Iterator[Row]:
    t = T["app_user"]
    for row in conn.execute(sa.select(t).where(t.c.clinic_id == clinic_id).order_by(t.c.id)):
        yield row._mapping


def clinic(conn: Connection, clinic_id: int) -> Iterator[Row]:
    t = T["clinic"]
    for row in conn.execute(sa.select(t).where(t.c.id == clinic_id)):
        yield row._mapping


def _circuits(conn: Connection, clinic_id: int, patient_id: int | None) -> Iterator[Row]:
    s, c = T["treatment_session"], T["electrical_circuit"]
    stmt = sa.select(c).select_from(c.join(s, c.c.session_id == s.c.id)).where(s.c.clinic_id == clinic_id)
    if patient_id is not None:
        stmt = stmt.where(s.c.patient_id == patient_id)
    for row in conn.execute(stmt.order_by(c.c.session_id, c.c.seq).execution_options(yield_per=YIELD)):
        yield row._mapping


def sessions(
    conn: Connection, clinic_id: int, patient_id: int | None = None
) -> Iterator[tuple[Row, list[Row], list[Row]]]:
    """(session, needles in seq order, circuits in seq order) per session, in session-id order."""
    s, i = T["treatment_session"], T["insertion"]
    cols = [i.c[name].label(f"i_{name}") for name in NEEDLE_COLUMNS]
    stmt = sa.select(s, *cols).select_from(s.outerjoin(i, i.c.session_id == s.c.id)).where(s.c.clinic_id == clinic_id)
    if patient_id is not None:
        stmt = stmt.where(s.c.patient_id == patient_id)
    result = conn.execute(stmt.order_by(s.c.id, i.c.seq).execution_options(yield_per=YIELD))
    circuits = _circuits(conn, clinic_id, patient_id)
    pending = next(circuits, None)
    current: Row | None = None
    group: list[Row] = []

    def their_circuits(session_id: int) -> list[Row]:
        nonlocal pending
        out = []
        while pending is not None and pending["session_id"] <= session_id:
            if pending["session_id"] == session_id:
                out.append(pending)
            pending = next(circuits, None)
        return out

    for row in result:
        m = row._mapping
        if current is None or m["id"] != current["id"]:
            if current is not None:
                yield current, group, their_circuits(current["id"])
            current, group = m, []
        if m["i_id"] is not None:
            group.append({name: m[f"i_{name}"] for name in NEEDLE_COLUMNS})
    if current is not None:
        yield current, group, their_circuits(current["id"])


def overrides(conn: Connection, clinic_id: int, patient_id: int | None = None) -> dict[int, list[Row]]:
    """Safety overrides per session id, in ``seq`` order (a few per overridden session)."""
    o, s = T["session_override"], T["treatment_session"]
    stmt = sa.select(o).select_from(o.join(s, o.c.session_id == s.c.id)).where(s.c.clinic_id == clinic_id)
    if patient_id is not None:
        stmt = stmt.where(s.c.patient_id == patient_id)
    out: dict[int, list[Row]] = {}
    for row in conn.execute(stmt.order_by(o.c.session_id, o.c.seq)):
        out.setdefault(row.session_id, []).append(row._mapping)
    return out


def episode_codes(conn: Connection, clinic_id: int) -> dict[int, list[str]]:
    """ICD-10 codes per episode id (the billing summary's diagnosis column)."""
    t = T["episode"]
    return {
        row.id: list(row.icd10_codes or [])
        for row in conn.execute(sa.select(t.c.id, t.c.icd10_codes).where(t.c.clinic_id == clinic_id))
    }


def count(conn: Connection, table: str, clinic_id: int) -> int:
    """Rows of a clinic's table; needles and circuits are counted through their sessions."""
    t = T[table]
    if "clinic_id" in t.c:
        return int(conn.scalar(sa.select(sa.func.count()).select_from(t).where(t.c.clinic_id == clinic_id)) or 0)
    s = T["treatment_session"]
    joined = t.join(s, t.c.session_id == s.c.id)
    return int(conn.scalar(sa.select(sa.func.count()).select_from(joined).where(s.c.clinic_id == clinic_id)) or 0)
