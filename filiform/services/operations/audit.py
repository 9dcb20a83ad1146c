"""The append-only, keyed (HMAC) audit trail.

Each clinic has its own chain (chain 0 is the system's), so appends in different clinics
never contend.  ``audit_head`` keeps each chain's last (seq, hash) and is row-locked while
appending, which serialises one chain on PostgreSQL.  The audit row is written in the same
transaction as the change it records, so a record never exists without its entry.

Why keyed: a plain SHA-256 chain can be recomputed by anyone who can write to the
database.  Since migration 0004 an entry's ``hash`` is HMAC-SHA256 under the audit key
(:mod:`.audit_keys`, a file outside the database; ``key_id`` names the key) over its
fields, the previous hash and ``rows``: for a write, the hash of each row version written
(:mod:`.audit_rows`), so ``audit verify`` also catches direct edits and deletions of
clinical rows.  Entries written before the migration stay plain SHA-256 up to each chain's
``keyed_from``; the first keyed entry links to the last plain hash, which anchors them.

Reads inside a web request do not write here directly: the request's unit of work runs
as a read (:func:`filiform.storage.engine.transaction`) and its entries are handed to the
group-commit writer (:mod:`.audit_writer`) and made durable before the response is sent.

``verify`` (:mod:`.audit_verify`) recomputes every chain; writer and verifier seal and
check entries with :mod:`.audit_entries` and never import each other back.  Detail holds ids and hashes,
never PHI (GDPR erasure leaves the chain intact).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.errors import ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.services.operations import audit_keys, audit_rows
from filiform.services.operations.audit_entries import (
    GENESIS,
    HASHED_FIELDS,
    SYSTEM_CHAIN,
    canonical,
    database_url,
    entry_hash,
    entry_mac,
    ring_for,
)
from filiform.services.operations.audit_verify import VerifyReport, verify

# the audit trail's one entry point: writing, reading back, and (from their own modules)
# sealing and verifying entries
__all__ = [
    "HASHED_FIELDS",
    "SYSTEM_CHAIN",
    "Pending",
    "VerifyReport",
    "append",
    "database_url",
    "entry_hash",
    "pending",
    "record",
    "report",
    "ring_for",
    "verify",
]
from filiform.storage.engine import DEFERRED_AUDIT
from filiform.storage.models import AuditHead, AuditLog


@dataclass(frozen=True)
class Pending:
    """An entry not yet placed in its chain (no seq or previous hash yet)."""

    chain: int
    at: str
    user_id: int | None
    clinic_id: int | None
    role: str | None
    client: str | None
    action: str
    entity: str
    entity_id: int | None
    patient_id: int | None
    detail: str
    rows: str | None


def _lock_head(session: Session, chain: int) -> AuditHead:
    head = session.execute(sa.select(AuditHead).where(AuditHead.chain == chain).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(chain=chain, seq=0, hash=GENESIS, keyed_from=1)
        session.add(head)
        session.flush()
    return head


def append(session: Session, entry: Pending, ring: audit_keys.KeyRing | None = None) -> AuditLog:
    """Place ``entry`` at the end of its chain, signed with the current audit key."""
    ring = ring or ring_for(session)
    head = _lock_head(session, entry.chain)
    fields: dict[str, Any] = {**asdict(entry), "seq": head.seq + 1, "prev_hash": head.hash, "key_id": ring.current}
    digest = entry_mac(ring, fields)
    row = AuditLog(**fields, hash=digest)
    session.add(row)
    head.seq = fields["seq"]
    head.hash = digest
    session.flush()
    return row


def record(
    session: Session,
    *,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: int | None = None,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
    chain: int | None = None,
) -> AuditLog | None:
    """Append one entry (who, when, what, from where) to the actor's clinic chain.

    In a read unit of work (a GET request) the entry is queued on the session and written
    by the group-commit writer when the unit of work ends; None is returned then.
    """
    entry = pending(
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        patient_id=patient_id,
        detail=detail,
        chain=chain,
        rows=audit_rows.for_entry(session, action, entity, entity_id, detail or {}),
    )
    deferred = session.info.get(DEFERRED_AUDIT)
    if deferred is not None:
        deferred.append(entry)
        return None
    return append(session, entry)


def pending(
    *,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: int | None = None,
    patient_id: int | None = None,
    detail: dict[str, Any] | None = None,
    chain: int | None = None,
    rows: str | None = None,
) -> Pending:
    """An entry stamped now, to be appended later (see :mod:`.audit_writer`)."""
    chain_id = chain if chain is not None else (actor.clinic_id if actor else SYSTEM_CHAIN)
    return Pending(
        chain=chain_id,
        at=datetime.now(UTC).isoformat(timespec="microseconds"),
        user_id=actor.user_id if actor else None,
        clinic_id=actor.clinic_id if actor else None,
        role=actor.role.value if actor else None,
        client=actor.client if actor else None,
        action=action,
        entity=entity,
        entity_id=entity_id,
        patient_id=patient_id,
        detail=canonical(detail or {}),
        rows=rows,
    )


def report(
    session: Session,
    *,
    actor: Actor,
    start: datetime,
    end: datetime,
    sort: str = "at",
    limit: int = 10_000,
) -> list[dict[str, Any]]:
    """Entries of the actor's clinic in [start, end), sortable by any column (ONC d(3))."""
    require(actor, Perm.READ_AUDIT)
    column = getattr(AuditLog, sort, None)
    if sort not in {*HASHED_FIELDS, "id"} or column is None:
        raise ValidationFailed(f"cannot sort the audit report by '{sort}'")
    stmt = (
        sa.select(AuditLog)
        .where(
            AuditLog.chain == actor.clinic_id,
            AuditLog.at >= _iso(start),
            AuditLog.at < _iso(end),
        )
        .order_by(column, AuditLog.seq)
        .limit(limit)
    )
    rows = [
        {
            name: getattr(row, name)
            for name in ("seq", "at", "user_id", "role", "client", "action", "entity", "entity_id", "patient_id")
        }
        for row in session.execute(stmt).scalars()
    ]
    record(
        session,
        actor=actor,
        action="read",
        entity="audit_report",
        detail={"from": _iso(start), "to": _iso(end), "rows": len(rows)},
    )
    return rows


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
