"""The hash of a clinical row version, so the audit trail can vouch for the data itself.

Why: a chain that only covers audit entries says nothing about the records; someone with
database access could edit a session note or delete an adverse event and the chain would
still verify.  Every audit entry for a write therefore carries, for each row it wrote,
SHA-256 over that row's stored values (read back from the database inside the writing
transaction, so the bytes hashed are what the database holds), and ``audit verify``
recomputes them: a changed value is an edit, a missing row a deletion.

A treatment session's hash includes its insertions (they are written with it and have no
entries of their own); an amendment entry also carries its ``amendment`` row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from filiform.storage.models import (
    AdverseEvent,
    Amendment,
    AmendmentProposal,
    Attachment,
    AttachmentAnalysis,
    AttachmentWithdrawal,
    Consent,
    ElectricalCircuitRecord,
    Episode,
    EpisodePlan,
    InsertionRecord,
    OutcomeResponse,
    PainDrawingRecord,
    Patient,
    Screening,
    SessionOverride,
    TreatmentSession,
)

TABLES: dict[str, sa.Table] = {
    model.__tablename__: cast(sa.Table, model.__table__)
    for model in (
        Patient,
        Consent,
        Screening,
        Episode,
        EpisodePlan,
        PainDrawingRecord,
        TreatmentSession,
        AdverseEvent,
        OutcomeResponse,
        Attachment,
        AttachmentAnalysis,
        Amendment,
        AmendmentProposal,
    )
}
# rows written together with their parent: table -> (child table, foreign key column)
CHILDREN: dict[str, tuple[tuple[sa.Table, str], ...]] = {
    # A session is written with its needles and its lead pairs; an edit to any of them
    # changes the session's row hash.
    "treatment_session": (
        (cast(sa.Table, InsertionRecord.__table__), "session_id"),
        (cast(sa.Table, ElectricalCircuitRecord.__table__), "session_id"),
        # the reasons written for overridden safety problems, and files withdrawn by amendment
        (cast(sa.Table, SessionOverride.__table__), "session_id"),
        (cast(sa.Table, AttachmentWithdrawal.__table__), "session_id"),
    )
}
# Columns added after row hashes began: left out of a row's hash while NULL, so adding a
# column does not change the hash of rows written before it (a value set later is hashed).
LATE_COLUMNS: dict[str, frozenset[str]] = {
    "treatment_session": frozenset(
        {"drawing_id", "plan", "ultrasound_guided", "recorded_zone", "voided_at", "form_key"}
    ),
    "amendment": frozenset({"cosigned_by"}),
}
WRITE_ACTIONS = frozenset({"create", "amend"})
BATCH = 500


def _value(value: Any) -> Any:
    """One stored value in a form that is the same on SQLite and PostgreSQL."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return "sha256:" + hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _digest(mapping: dict[str, Any], table: str = "") -> dict[str, Any]:
    late = LATE_COLUMNS.get(table, frozenset())
    return {name: _value(value) for name, value in sorted(mapping.items()) if not (value is None and name in late)}


def _fetch(conn: Connection | Session, table: sa.Table, ids: list[int]) -> dict[int, dict[str, Any]]:
    rows = conn.execute(sa.select(table).where(table.c.id.in_(ids))).mappings()
    found = {int(r["id"]): _digest(dict(r), table.name) for r in rows}
    children = CHILDREN.get(table.name, ())
    if children and found:
        for item in found.values():
            item["__children__"] = []
        for ctable, fk in children:
            stmt = sa.select(ctable).where(ctable.c[fk].in_(list(found))).order_by(ctable.c.id)
            for r in conn.execute(stmt).mappings():
                found[int(r[fk])]["__children__"].append({"__table__": ctable.name, **_digest(dict(r))})
    return found


def _hash(values: dict[str, Any]) -> str:
    text = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def hashes(conn: Connection | Session, table: str, ids: Iterable[int]) -> Iterator[tuple[int, str | None]]:
    """(id, hash) for each id; None when the row does not exist."""
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), BATCH):
        batch = wanted[start : start + BATCH]
        found = _fetch(conn, TABLES[table], batch)
        for row_id in batch:
            values = found.get(row_id)
            yield row_id, (_hash(values) if values is not None else None)


def for_entry(session: Session, action: str, entity: str, entity_id: int | None, detail: dict[str, Any]) -> str | None:
    """The ``rows`` field of an audit entry: canonical JSON {"table:id": hash}, or None."""
    if action not in WRITE_ACTIONS or entity not in TABLES or entity_id is None:
        return None
    wanted = [(entity, entity_id)]
    if action == "amend" and isinstance(detail.get("amendment_id"), int):
        wanted.append(("amendment", detail["amendment_id"]))
    out: dict[str, str] = {}
    for table, row_id in wanted:
        for found_id, digest in hashes(session, table, [row_id]):
            if digest is not None:
                out[f"{table}:{found_id}"] = digest
    return json.dumps(out, sort_keys=True, separators=(",", ":")) if out else None
