"""``audit verify``: recompute every chain, the row hashes and the checkpoint.

Reported problems (any one makes the report not ok):

* an entry whose HMAC (or, before ``keyed_from``, plain SHA-256) does not match: edited;
* a broken previous-hash link or a seq gap: deleted or reordered entries;
* a log that ends before its head, or a head that does not match: newest entries deleted;
* a keyed entry before ``keyed_from``, or a plain one after it: the boundary was moved;
* an entry signed with a key the key file does not hold;
* a clinical row whose current values no longer hash to what its latest write entry
  recorded (edited outside Filiform), or that is gone (deleted);
* a checkpoint (the file next to the key, or a backup's) the log no longer extends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.services.operations import audit_entries as sealing
from filiform.services.operations import audit_keys, audit_rows, checkpoint
from filiform.storage.models import AuditHead, AuditLog

AUTO: Any = object()


@dataclass(frozen=True)
class VerifyReport:
    chains: int
    entries: int
    problems: tuple[str, ...]
    rows_checked: int = 0
    checkpoint: str = "none"

    @property
    def ok(self) -> bool:
        return not self.problems


def _iter_chain(session: Session, chain: int) -> Iterator[AuditLog]:
    stmt = sa.select(AuditLog).where(AuditLog.chain == chain).order_by(AuditLog.seq)
    yield from session.execute(stmt.execution_options(yield_per=2000)).scalars()


def _entry_problem(ring: audit_keys.KeyRing, head: AuditHead, row: AuditLog) -> str | None:
    keyed = row.seq >= head.keyed_from
    if keyed != (row.key_id is not None):
        return "keyed and plain entries out of place (keyed_from or key_id altered)"
    if not keyed:
        fields = {name: getattr(row, name) for name in sealing.HASHED_FIELDS}
        return None if sealing.entry_hash(fields) == row.hash else "content does not match its hash (entry edited)"
    if ring.key(str(row.key_id)) is None:
        return f"signed with key {row.key_id}, which the audit key file does not hold"
    fields = {name: getattr(row, name) for name in sealing.KEYED_FIELDS}
    return None if sealing.entry_mac(ring, fields) == row.hash else "content does not match its HMAC (entry edited)"


def _verify_chain(
    session: Session, ring: audit_keys.KeyRing, head: AuditHead, latest: dict[str, tuple[str, str]]
) -> tuple[int, list[str]]:
    problems: list[str] = []
    expected_prev, expected_seq, count = sealing.GENESIS, 1, 0
    for row in _iter_chain(session, head.chain):
        count += 1
        where = f"chain {head.chain} seq {row.seq} (id {row.id})"
        if row.seq != expected_seq:
            problems.append(f"{where}: expected seq {expected_seq}: entries missing or reordered")
        if row.prev_hash != expected_prev:
            problems.append(f"{where}: previous-hash link broken (deleted or altered entry)")
        found = _entry_problem(ring, head, row)
        if found:
            problems.append(f"{where}: {found}")
        elif row.rows:
            for key, digest in json.loads(row.rows).items():
                latest[key] = (digest, where)
        expected_prev, expected_seq = row.hash, row.seq + 1
    if head.seq != expected_seq - 1 or head.hash != expected_prev:
        problems.append(
            f"chain {head.chain}: head says seq {head.seq} but the log ends at "
            f"{expected_seq - 1}: newest entries deleted or head altered"
        )
    if head.keyed_from < 1:
        problems.append(f"chain {head.chain}: keyed_from {head.keyed_from} is not a sequence number")
    return count, problems


def _verify_rows(session: Session, latest: dict[str, tuple[str, str]]) -> list[str]:
    by_table: dict[str, dict[int, tuple[str, str]]] = {}
    for key, value in latest.items():
        table, _, row_id = key.partition(":")
        by_table.setdefault(table, {})[int(row_id)] = value
    problems: list[str] = []
    for table, wanted in sorted(by_table.items()):
        if table not in audit_rows.TABLES:
            problems.append(f"{table}: the audit names a table this version does not know")
            continue
        for found_id, digest in audit_rows.hashes(session, table, wanted):
            recorded, where = wanted[found_id]
            if digest is None:
                problems.append(f"{table} {found_id}: deleted (written as recorded in {where})")
            elif digest != recorded:
                problems.append(f"{table} {found_id}: changed outside Filiform (does not match {where})")
    return problems


def verify(
    session: Session, *, anchor: Any = AUTO, rows: bool = True, ring: audit_keys.KeyRing | None = None
) -> VerifyReport:
    """Recompute every chain; an empty ``problems`` means nothing was edited or deleted.

    ``anchor`` is a checkpoint document (a backup's); by default the checkpoint file of
    this database is used when there is one.
    """
    url = sealing.database_url(session)
    ring = ring or audit_keys.ring(url)
    heads = session.execute(sa.select(AuditHead).order_by(AuditHead.chain)).scalars().all()
    problems: list[str] = []
    entries = 0
    known = {h.chain for h in heads}
    orphan = session.execute(sa.select(AuditLog.chain).where(AuditLog.chain.not_in(known)).distinct()).scalars().all()
    problems.extend(f"chain {c}: entries without a chain head" for c in orphan)
    latest: dict[str, tuple[str, str]] = {}
    for head in heads:
        count, found = _verify_chain(session, ring, head, latest)
        entries += count
        problems.extend(found)
    if rows:
        problems.extend(_verify_rows(session, latest))
    described = "none"
    doc = checkpoint.load(url) if anchor is AUTO else anchor
    where = "checkpoint" if anchor is AUTO else "backup's checkpoint"
    if doc is not None:
        problems.extend(checkpoint.problems(session, ring, doc, where))
        stamp = doc.get("body", {}).get("written_at", "?") if isinstance(doc.get("body"), dict) else "?"
        described = f"{where} of {stamp}"
    return VerifyReport(
        chains=len(heads), entries=entries, problems=tuple(problems), rows_checked=len(latest), checkpoint=described
    )
