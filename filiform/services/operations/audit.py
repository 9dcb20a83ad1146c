"""The append-only, hash-chained audit trail.

Each clinic has its own chain (chain 0 is the system's), so appends in different clinics
never contend.  A row's hash is SHA-256 over the previous hash and the row's canonical
fields; ``audit_head`` keeps each chain's last (seq, hash) and is row-locked while
appending, which serialises one chain on PostgreSQL.  The audit row is written in the
same transaction as the change it records, so a record never exists without its entry.

``verify`` recomputes every chain and reports any edited, deleted, reordered or
truncated entry.  Detail holds ids and hashes, never PHI (GDPR erasure leaves the chain
intact).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.errors import ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.storage.models import AuditHead, AuditLog

GENESIS = "0" * 64
SYSTEM_CHAIN = 0
HASHED_FIELDS = (
    "chain",
    "seq",
    "at",
    "user_id",
    "clinic_id",
    "role",
    "client",
    "action",
    "entity",
    "entity_id",
    "patient_id",
    "detail",
    "prev_hash",
)


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(fields: dict[str, Any]) -> str:
    payload = canonical({name: fields[name] for name in HASHED_FIELDS})
    return hashlib.sha256(payload.encode()).hexdigest()


def _lock_head(session: Session, chain: int) -> AuditHead:
    head = session.execute(sa.select(AuditHead).where(AuditHead.chain == chain).with_for_update()).scalar_one_or_none()
    if head is None:
        head = AuditHead(chain=chain, seq=0, hash=GENESIS)
        session.add(head)
        session.flush()
    return head


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
) -> AuditLog:
    """Append one entry (who, when, what, from where) to the actor's clinic chain."""
    chain_id = chain if chain is not None else (actor.clinic_id if actor else SYSTEM_CHAIN)
    head = _lock_head(session, chain_id)
    fields: dict[str, Any] = {
        "chain": chain_id,
        "seq": head.seq + 1,
        "at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "user_id": actor.user_id if actor else None,
        "clinic_id": actor.clinic_id if actor else None,
        "role": actor.role.value if actor else None,
        "client": actor.client if actor else None,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "patient_id": patient_id,
        "detail": canonical(detail or {}),
        "prev_hash": head.hash,
    }
    digest = entry_hash(fields)
    row = AuditLog(**fields, hash=digest)
    session.add(row)
    head.seq = fields["seq"]
    head.hash = digest
    session.flush()
    return row


@dataclass(frozen=True)
class VerifyReport:
    chains: int
    entries: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _iter_chain(session: Session, chain: int) -> Iterator[AuditLog]:
    stmt = sa.select(AuditLog).where(AuditLog.chain == chain).order_by(AuditLog.seq)
    yield from session.execute(stmt.execution_options(yield_per=2000)).scalars()


def _verify_chain(session: Session, head: AuditHead) -> tuple[int, list[str]]:
    problems: list[str] = []
    expected_prev, expected_seq, count = GENESIS, 1, 0
    for row in _iter_chain(session, head.chain):
        count += 1
        where = f"chain {head.chain} seq {row.seq} (id {row.id})"
        if row.seq != expected_seq:
            problems.append(f"{where}: expected seq {expected_seq}: entries missing or reordered")
        if row.prev_hash != expected_prev:
            problems.append(f"{where}: previous-hash link broken (deleted or altered entry)")
        fields = {name: getattr(row, name) for name in HASHED_FIELDS}
        if entry_hash(fields) != row.hash:
            problems.append(f"{where}: content does not match its hash (entry edited)")
        expected_prev, expected_seq = row.hash, row.seq + 1
    if head.seq != expected_seq - 1 or head.hash != expected_prev:
        problems.append(
            f"chain {head.chain}: head says seq {head.seq} but the log ends at "
            f"{expected_seq - 1}: newest entries deleted or head altered"
        )
    return count, problems


def verify(session: Session) -> VerifyReport:
    """Recompute every chain; an empty ``problems`` means nothing was edited or deleted."""
    heads = session.execute(sa.select(AuditHead).order_by(AuditHead.chain)).scalars().all()
    problems: list[str] = []
    entries = 0
    known = {h.chain for h in heads}
    orphan = session.execute(sa.select(AuditLog.chain).where(AuditLog.chain.not_in(known)).distinct()).scalars().all()
    problems.extend(f"chain {c}: entries without a chain head" for c in orphan)
    for head in heads:
        count, found = _verify_chain(session, head)
        entries += count
        problems.extend(found)
    return VerifyReport(chains=len(heads), entries=entries, problems=tuple(problems))


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
