"""Which database errors mean "busy now, nothing saved, try again" rather than "broken".

Why: two writers can meet on the same rows (the per-patient ``record_version`` counter
makes every write to one record take the same row lock).  On PostgreSQL the server then
rolls one transaction back (deadlock, serialisation failure or lock timeout); on SQLite a
writer from another process can hold the file past the busy timeout.  Neither is a fault
of the request or of the server, and the rolled-back work left no trace, so the caller
gets :class:`~filiform.errors.DatabaseContended` (503, safe to resend) instead of a 500.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import DBAPIError

# PostgreSQL SQLSTATEs: serialization_failure, deadlock_detected, lock_not_available
PG_CONTENTION = frozenset({"40001", "40P01", "55P03"})
# SQLite primary result codes: SQLITE_BUSY, SQLITE_LOCKED
SQLITE_CONTENTION = frozenset({5, 6})
BUSY_MESSAGE = "The database was busy, so nothing was saved; send the same request again."


def is_contention(exc: BaseException) -> bool:
    """True when ``exc`` is a database telling this transaction to wait its turn.

    >>> is_contention(DBAPIError("COMMIT", None, sqlite3.OperationalError("database is locked")))
    True
    >>> is_contention(DBAPIError("INSERT", None, sqlite3.IntegrityError("UNIQUE constraint failed")))
    False
    >>> is_contention(sqlite3.OperationalError("database is locked"))  # from a plain DB-API cursor
    True
    """
    if isinstance(exc, sqlite3.OperationalError):
        orig: BaseException | None = exc
    elif isinstance(exc, DBAPIError):
        orig = exc.orig
    else:
        return False
    sqlstate = getattr(orig, "sqlstate", None)  # psycopg 3
    if sqlstate is not None:
        return sqlstate in PG_CONTENTION
    if isinstance(orig, sqlite3.OperationalError):
        code = getattr(orig, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in SQLITE_CONTENTION  # extended codes keep the primary in the low byte
        return "database is locked" in str(orig) or "database table is locked" in str(orig)
    return False
