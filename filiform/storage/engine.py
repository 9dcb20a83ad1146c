"""Engines and sessions with the durability settings the records need.

SQLite: WAL journal, ``synchronous=FULL`` (a commit is fsynced before it is acknowledged;
NORMAL may lose the last commits on power loss), foreign keys on, a busy timeout, and
every transaction opened with ``BEGIN IMMEDIATE``.  Service calls always write (even a
read appends an audit row), so taking the write lock up front avoids the deferred-upgrade
deadlock that otherwise surfaces as ``database is locked``.  One writer process per SQLite
file: measured here, two competing processes push p99 past one second.

PostgreSQL: default synchronous commit; clusters are created with data checksums.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Protocol, cast

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from filiform.errors import DatabaseContended, NotFound
from filiform.storage.contention import BUSY_MESSAGE, is_contention
from filiform.storage.settings import database_url, is_sqlite, sqlite_path
from filiform.storage.writer_lock import WriterLock, engine_writer_lock, writer_lock

log = logging.getLogger("filiform.storage")

BUSY_TIMEOUT_MS = 30_000
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
)


def _install_sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_conn.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _install_read_guard(engine: Engine) -> None:
    """A read unit of work that writes after all takes the writer lock first (see ReadState)."""

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: sa.Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        state = conn.get_execution_options().get(READ_STATE)
        if isinstance(state, ReadState) and not state.wrote and _is_write(statement):
            state.begin_write()


def make_engine(url: str | None = None, *, must_exist: bool = False, **kwargs: Any) -> Engine:
    """An engine for ``url`` (or the configured database) with the pragmas installed.

    SQLite creates a missing file on first connect, so a mistyped path would silently
    become a new, empty database.  Commands that only work on existing records pass
    ``must_exist=True`` and get a :class:`NotFound` instead (nothing is created); only the
    commands that set a database up (demo, db upgrade, restore, serve) leave it False.
    """
    resolved = database_url(url)
    if is_sqlite(resolved):
        path = sqlite_path(resolved)
        if must_exist and not path.is_file():
            raise NotFound(f"no database at {path}; create one with `filiform demo` or `filiform db upgrade`")
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(resolved, **kwargs)
        _install_sqlite_hooks(engine)
        _install_read_guard(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    engine = sa.create_engine(resolved, **kwargs)
    _install_read_guard(engine)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (no surprise lazy loads)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


DEFERRED_AUDIT = "filiform_deferred_audit"
READ_STATE = "filiform_read_state"
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _is_write(statement: str) -> bool:
    return statement.lstrip()[:7].upper().startswith(_WRITE_VERBS)


class ReadAuditSink(Protocol):
    """Where a read unit of work's audit entries go (implemented above storage)."""

    def write_now(self, session: Session, entries: list[Any]) -> None:
        """Append them inside ``session``'s transaction (the unit of work wrote after all)."""

    def write_later(self, factory: sessionmaker[Session], entries: list[Any]) -> None:
        """Make them durable before returning (group commit through one writer)."""


_READ_SINK: ContextVar[ReadAuditSink | None] = ContextVar("filiform_read_sink", default=None)


@contextmanager
def read_requests(sink: ReadAuditSink) -> Iterator[None]:
    """Units of work opened in this context (a GET request) run as reads; see transaction()."""
    token = _READ_SINK.set(sink)
    try:
        yield
    finally:
        _READ_SINK.reset(token)


@contextmanager
def writing_request() -> Iterator[None]:
    """Units of work opened here are writes even inside a GET request.

    For pages that write by design (a patient page counts its own tries and audits its own
    views): they take the writer lock when they begin, instead of upgrading a read
    mid-transaction, which SQLite refuses when another process committed in between.
    """
    token = _READ_SINK.set(None)
    try:
        yield
    finally:
        _READ_SINK.reset(token)


@dataclass
class ReadState:
    """A read unit of work; ``wrote`` once it issued a write (it then holds the writer lock)."""

    lock: WriterLock | None
    wrote: bool = False

    def begin_write(self) -> None:
        # Why not refuse: a page that writes must keep working.  It takes the in-process
        # writer lock, so no other thread of this process is writing; SQLite then upgrades
        # the read to a write (another process's commit since the read began is refused
        # with "database is locked" and the request fails cleanly).
        log.warning("a read request wrote to the database; move the write to a POST")
        if self.lock is not None:
            self.lock.acquire()
        self.wrote = True


def _holds_writer(factory: sessionmaker[Session]) -> bool:
    lock = writer_lock(factory)
    return lock is not None and lock.held_here()


def detach_writer(session: Session) -> None:
    """The unit of work of ``session`` continues in another thread (a FastAPI ``yield``
    dependency): its writer lock stays held but no longer belongs to this thread, so
    other work this thread picks up meanwhile does not re-enter it."""
    bind = session.get_bind()
    lock = engine_writer_lock(bind) if isinstance(bind, Engine) else None
    if lock is not None:
        lock.detach()


@contextmanager
def _write_unit(factory: sessionmaker[Session]) -> Iterator[Session]:
    lock = writer_lock(factory)
    with lock if lock is not None else nullcontext(), factory() as session, session.begin():
        yield session


@contextmanager
def _read_unit(factory: sessionmaker[Session], sink: ReadAuditSink) -> Iterator[Session]:
    state = ReadState(lock=writer_lock(factory))
    pending: list[Any] = []
    try:
        with factory() as session:
            session.connection(execution_options={"sqlite_begin": "DEFERRED", READ_STATE: state})
            session.info[DEFERRED_AUDIT] = pending
            try:
                yield session
                session.flush()
                if state.wrote and pending:
                    sink.write_now(session, pending)
                    pending = []
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        if state.wrote and state.lock is not None:
            state.lock.release()
    if pending:
        sink.write_later(factory, pending)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success (the write is durable when this returns).

    Inside :func:`read_requests` (a GET or HEAD request) the unit of work is a read: on
    SQLite it begins DEFERRED and takes no writer lock, so reads run side by side; its
    audit entries are queued on the session and made durable by the sink before this
    returns (so before the response is sent).  A read that writes after all takes the
    writer lock at its first write and its audit entries are written in its own
    transaction, as in a write unit of work.
    """
    sink = _READ_SINK.get()
    with _busy_is_retryable():
        if sink is not None and not _holds_writer(factory):
            with _read_unit(factory, sink) as session:
                yield session
            return
        with _write_unit(factory) as session:
            yield session


class WouldWait(Exception):
    """Raised by :func:`sqlite_write_cursor` with ``wait=False`` when another writer (a
    thread of this process or another process) holds the database: nothing was written.

    Not a :class:`filiform.errors.FiliformError`: a signal to the caller (write it where
    waiting is allowed), never an answer to a user.
    """


@contextmanager
def sqlite_write_cursor(engine: Engine, *, wait: bool = True) -> Iterator[sqlite3.Cursor]:
    """One durable write transaction on a plain DB-API cursor of a SQLite engine.

    Why: the audit writer thread appends rows it has built itself, many times a second.
    Through a :class:`Session` (or even a Core connection) the statements' Python
    overhead was about half of the thread's CPU, and in one process that CPU is taken from
    the requests twice over: a thread running Python beside the event loop slowed the
    loop by about as much again (measured, docs/records.md).  Same guarantees as a write
    unit of :func:`transaction`: the in-process writer lock, the connection's pragmas
    (``synchronous=FULL``: durable at commit), ``BEGIN IMMEDIATE``, commit on success,
    rollback on any error, and contention reported as :class:`DatabaseContended`.

    ``wait=False`` (a writer on the event loop, which must not stall every other request)
    takes the writer lock only if it is free and does not wait in SQLite's busy handler
    for another process: either raises :class:`WouldWait` before anything is written.
    """
    if engine.dialect.name != "sqlite":
        raise ValueError("sqlite_write_cursor needs a SQLite engine")
    lock = engine_writer_lock(engine)
    if wait or lock is None:
        held: Any = lock if lock is not None else nullcontext()
    elif lock.try_acquire():
        held = _released(lock)
    else:
        raise WouldWait
    with _busy_is_retryable(), held:
        raw = engine.raw_connection()  # from the pool: the connect hook set the pragmas
        try:
            cursor = cast(sqlite3.Cursor, raw.cursor())
            _begin_immediate(cursor, wait=wait)
            try:
                yield cursor
                cursor.execute("COMMIT")
            except BaseException:
                # the error that stopped the batch is the one to report, not a failed rollback
                with suppress(sqlite3.Error):
                    if raw.dbapi_connection is not None and raw.dbapi_connection.in_transaction:
                        cursor.execute("ROLLBACK")
                raise
        finally:
            raw.close()  # back to the pool


def _begin_immediate(cursor: sqlite3.Cursor, *, wait: bool) -> None:
    """``BEGIN IMMEDIATE``; without waiting, another process's write lock is :class:`WouldWait`."""
    if wait:
        cursor.execute("BEGIN IMMEDIATE")
        return
    cursor.execute("PRAGMA busy_timeout=0")
    try:
        cursor.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if is_contention(exc):
            raise WouldWait from exc
        raise
    finally:
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")


@contextmanager
def _released(lock: WriterLock) -> Iterator[None]:
    """Release a lock already taken (by :meth:`WriterLock.try_acquire`) when the block ends."""
    try:
        yield
    finally:
        lock.release()


@contextmanager
def _busy_is_retryable() -> Iterator[None]:
    """A unit of work the database rolled back for contention (see ``contention``) is
    reported as :class:`DatabaseContended`, not as an internal error."""
    try:
        yield
    except (DBAPIError, sqlite3.OperationalError) as exc:  # the latter from sqlite_write_cursor
        if not is_contention(exc):
            raise
        log.warning("unit of work rolled back by the database for contention: %s", getattr(exc, "orig", exc))
        raise DatabaseContended(BUSY_MESSAGE) from exc


@contextmanager
def read_transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A plain read: on SQLite the transaction begins DEFERRED, so it takes no write lock
    and (under WAL) never waits for a writer.  Do not write in it; it is rolled back."""
    with factory() as session:
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})
        try:
            yield session
        finally:
            session.rollback()


def sqlite_integrity_check(engine: Engine) -> str:
    """``PRAGMA integrity_check`` result ("ok" when the file is sound)."""
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
        rows = conn.exec_driver_sql("PRAGMA integrity_check").scalars().all()
        return "\n".join(str(r) for r in rows)
