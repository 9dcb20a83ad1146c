"""Many audit entries appended in one statement per chain (the group-commit writer's path).

Why: appending entry by entry through the ORM (lock the head, build an ``AuditLog``
object, flush, update the head) cost about 1 ms of CPU per entry; a patient page writes
five entries, so under load the writer thread spent more time on them than the page
itself.  Here each chain's head is locked once, every entry's seq, previous hash and HMAC
are computed exactly as :func:`filiform.services.operations.audit.append` computes them,
and the rows go in with one executemany; the head is updated once.  The entries, their
order within a chain and their hashes are the same as one-by-one appends would write
(``tests/services/test_audit_batch.py`` compares both and verifies the chain).
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.orm import Session

from filiform.services.operations import audit_keys
from filiform.services.operations.audit_entries import GENESIS, entry_mac, ring_for
from filiform.storage.models import AuditHead, AuditLog

if TYPE_CHECKING:
    from filiform.services.operations.audit import Pending

_LOG = cast(sa.Table, AuditLog.__table__)
_HEAD = cast(sa.Table, AuditHead.__table__)

# built once (statement construction cost more than the statements)
_INSERT = sa.insert(_LOG)
_READ_HEAD = sa.select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.chain == sa.bindparam("chain")).with_for_update()
_MOVE_HEAD = (
    sa.update(_HEAD)
    .where(_HEAD.c.chain == sa.bindparam("which_chain"))
    .values(seq=sa.bindparam("new_seq"), hash=sa.bindparam("new_hash"))
)

# The same statements for a plain SQLite cursor, compiled from the same tables (qmark style).
_ROW_COLUMNS = [c.name for c in _LOG.columns if c.name != "id"]
_compiled_insert = sa.insert(_LOG).compile(dialect=sqlite_dialect(), column_keys=_ROW_COLUMNS)
_SQLITE_INSERT = str(_compiled_insert)
_SQLITE_INSERT_ORDER = tuple(_compiled_insert.positiontup or ())
_SQLITE_READ_HEAD = str(
    sa.select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.chain == sa.bindparam("chain")).compile(dialect=sqlite_dialect())
)
_SQLITE_NEW_HEAD = str(
    sa.insert(_HEAD)
    .values(
        chain=sa.bindparam("c"), hash=sa.bindparam("h"), seq=sa.literal_column("0"), keyed_from=sa.literal_column("1")
    )
    .compile(dialect=sqlite_dialect())
)
_compiled_move = _MOVE_HEAD.compile(dialect=sqlite_dialect())
_SQLITE_MOVE_HEAD = str(_compiled_move)
_SQLITE_MOVE_ORDER = tuple(_compiled_move.positiontup or ())


def _head(conn: sa.Connection, chain: int) -> tuple[int, str]:
    """The chain's (seq, hash), row-locked on PostgreSQL; a new chain starts at the genesis."""
    found = conn.execute(_READ_HEAD, {"chain": chain}).first()
    if found is None:
        conn.execute(sa.insert(_HEAD).values(chain=chain, seq=0, hash=GENESIS, keyed_from=1))
        return 0, GENESIS
    return int(found.seq), str(found.hash)


def append_many(session: Session, entries: list[Pending], ring: audit_keys.KeyRing | None = None) -> int:
    """Append ``entries`` (in order within each chain) inside ``session``'s transaction."""
    if not entries:
        return 0
    session.flush()  # ORM appends of this transaction come first, as they happened first
    ring = ring or ring_for(session)
    conn = session.connection()  # Core on the unit's connection: no ORM work per statement
    for chain, group in _by_chain(entries):
        seq, prev = _head(conn, chain)
        rows, seq, prev = _sealed(group, seq, prev, ring)
        conn.execute(_INSERT, rows)
        conn.execute(_MOVE_HEAD, {"which_chain": chain, "new_seq": seq, "new_hash": prev})
    for obj in list(session.identity_map.values()):
        if isinstance(obj, AuditHead):  # an ORM append later in this transaction must re-read the head
            session.expire(obj)
    return len(entries)


def append_sqlite(cursor: sqlite3.Cursor, entries: list[Pending], ring: audit_keys.KeyRing) -> int:
    """:func:`append_many` on a plain DB-API cursor inside a SQLite write transaction
    (:func:`filiform.storage.engine.sqlite_write_cursor`): the same rows, seqs and HMACs,
    with no SQLAlchemy work per statement (the group-commit writer's path on SQLite)."""
    for chain, group in _by_chain(entries):
        found = cursor.execute(_SQLITE_READ_HEAD, (chain,)).fetchone()
        if found is None:
            cursor.execute(_SQLITE_NEW_HEAD, (chain, GENESIS))
            seq, prev = 0, GENESIS
        else:
            seq, prev = int(found[0]), str(found[1])
        rows, seq, prev = _sealed(group, seq, prev, ring)
        cursor.executemany(_SQLITE_INSERT, [tuple(row[name] for name in _SQLITE_INSERT_ORDER) for row in rows])
        moved = {"which_chain": chain, "new_seq": seq, "new_hash": prev}
        cursor.execute(_SQLITE_MOVE_HEAD, tuple(moved[name] for name in _SQLITE_MOVE_ORDER))
    return len(entries)


def _by_chain(entries: list[Pending]) -> list[tuple[int, list[Pending]]]:
    """Entries grouped by chain, in their order within each; chains in one order, so two
    writers cannot deadlock."""
    by_chain: dict[int, list[Pending]] = {}
    for entry in entries:
        by_chain.setdefault(entry.chain, []).append(entry)
    return sorted(by_chain.items())


def _sealed(
    entries: list[Pending], seq: int, prev: str, ring: audit_keys.KeyRing
) -> tuple[list[dict[str, Any]], int, str]:
    """Each entry's row after the chain's head (seq, hash): its seq, previous hash and
    HMAC exactly as :func:`filiform.services.operations.audit.append` computes them; and
    the new head."""
    rows: list[dict[str, Any]] = []
    for entry in entries:
        seq += 1
        fields: dict[str, Any] = {**vars(entry), "seq": seq, "prev_hash": prev, "key_id": ring.current}
        prev = entry_mac(ring, fields)
        rows.append({**fields, "hash": prev})
    return rows, seq, prev
