"""Who is using a database: running applications hold a shared lease, restore an exclusive one.

Why: a restore that replaces the file (or the schema) under a running server leaves the
server writing into something it did not open, and a server starting during a restore
reads half a database.  The lease is held by the operating system or the database
server, so it disappears with a killed process (no stale lock files to clean up):

* SQLite: ``flock`` on ``<database>.lease`` next to the file (shared for each application
  process, exclusive for restore);
* PostgreSQL: advisory lock :data:`PG_KEY` (``pg_advisory_lock_shared`` on a connection
  the application keeps, ``pg_try_advisory_lock`` for restore).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from filiform.errors import Conflict
from filiform.storage.settings import is_sqlite, sqlite_path

PG_KEY = 0x46494C49464F524D & 0x7FFFFFFFFFFFFFFF  # "FILIFORM"


class DatabaseBusy(Conflict):
    code = "database_busy"


def _lease_file(url: str) -> Path:
    path = sqlite_path(url)
    return path.with_name(path.name + ".lease")


class Lease:
    """A held lease; :meth:`release` (or process exit) gives it back."""

    def __init__(self, handle: Any, kind: str) -> None:
        self._handle = handle
        self._kind = kind

    def release(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        if self._kind == "file":
            with contextlib.suppress(OSError):
                os.close(handle)
        else:
            with contextlib.suppress(Exception):
                handle.close()

    def __del__(self) -> None:
        self.release()


def _flock(url: str, mode: int) -> int:
    path = _lease_file(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise
    return fd


def hold_for_application(url: str, engine: sa.Engine) -> Lease:
    """The application's shared lease; refused while a restore holds the database."""
    message = "a restore is replacing this database: start the application when it has finished"
    if is_sqlite(url):
        try:
            return Lease(_flock(url, fcntl.LOCK_SH), "file")
        except BlockingIOError:
            raise DatabaseBusy(message) from None
    conn = engine.raw_connection()
    try:
        cursor = conn.cursor()
        cursor.execute("SELECT pg_try_advisory_lock_shared(%s)", (PG_KEY,))
        row = cursor.fetchone()
        cursor.close()
        conn.commit()
    except Exception:
        conn.close()
        raise
    if not row or not row[0]:
        conn.close()
        raise DatabaseBusy(message)
    return Lease(conn, "pg")


@contextlib.contextmanager
def exclusive(url: str, engine: sa.Engine | None = None) -> Iterator[None]:
    """Hold the database alone (restore); refused while an application uses it."""
    message = "an application is using this database: stop the server first, then restore"
    if is_sqlite(url):
        try:
            fd = _flock(url, fcntl.LOCK_EX)
        except BlockingIOError:
            raise DatabaseBusy(message) from None
        lease = Lease(fd, "file")
    else:
        assert engine is not None
        conn = engine.raw_connection()
        cursor = conn.cursor()
        cursor.execute("SELECT pg_try_advisory_lock(%s)", (PG_KEY,))
        row = cursor.fetchone()
        cursor.close()
        conn.commit()
        if not row or not row[0]:
            conn.close()
            raise DatabaseBusy(message)
        lease = Lease(conn, "pg")
    try:
        yield
    finally:
        lease.release()
