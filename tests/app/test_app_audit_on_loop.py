"""Issue 20: on SQLite the read-audit entries of the requests that reach their flush in
one turn of the event loop are committed in one transaction on the loop itself; the loop
never waits for another writer (that turn goes through the writer thread instead), and
the guarantee is the same on both paths: durable before the response starts."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from api_world import World, login
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from filiform.app.request_audit import RequestAudit
from filiform.services.access.context import Actor, Role
from filiform.services.operations import audit, audit_writer
from filiform.services.operations.audit_writer import AuditWriter, writer_for
from filiform.storage.engine import (
    BUSY_TIMEOUT_MS,
    WouldWait,
    make_engine,
    session_factory,
    sqlite_write_cursor,
)
from filiform.storage.models import AuditLog
from filiform.storage.settings import sqlite_path
from filiform.storage.writer_lock import engine_writer_lock

T = TypeVar("T")


@pytest.fixture
def engine(world: World) -> Iterator[Engine]:
    """A fresh engine, so its writer has never started a thread."""
    built = make_engine(world.url)
    yield built
    built.dispose()


def _actor() -> Actor:
    return Actor(user_id=1, clinic_id=1, role=Role.ADMIN)


def _on_a_loop(scenario: Callable[[], Awaitable[T]]) -> T:
    """Run a scenario on an event loop of its own thread (a browser test's sync API may keep
    a loop running in this worker's main thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, scenario()).result(timeout=60)  # type: ignore[arg-type]


def _held(engine: Engine, entity: str) -> RequestAudit:
    sink = RequestAudit(session_factory(engine))
    sink.hold(audit.pending(actor=_actor(), action="read", entity=entity))
    return sink


def _logged(engine: Engine, entity: str | None = None) -> int:
    with engine.connect() as conn:
        stmt = sa.select(sa.func.count()).select_from(AuditLog)
        if entity is not None:
            stmt = stmt.where(AuditLog.entity == entity)
        return int(conn.scalar(stmt) or 0)


def _verified(engine: Engine) -> bool:
    with session_factory(engine)() as s:
        return audit.verify(s).ok


def _writer(engine: Engine) -> AuditWriter:
    return writer_for(session_factory(engine))


def test_requests_flushed_in_one_turn_share_one_commit_on_the_loop(engine: Engine) -> None:
    writer = _writer(engine)
    sinks = [_held(engine, f"turn-{i}") for i in range(12)]

    async def scenario() -> None:
        await asyncio.gather(*(sink.flush() for sink in sinks))

    _on_a_loop(scenario)
    assert (writer.loop_commits, writer.commits) == (1, 1)  # twelve requests, one fsync
    assert writer._thread is None  # the writer thread was never needed
    assert sum(_logged(engine, f"turn-{i}") for i in range(12)) == 12
    assert _verified(engine)


def test_a_page_view_through_the_app_is_committed_on_the_loop(world: World, app: FastAPI) -> None:
    client = login(TestClient(app), "clinician_a")
    writer = writer_for(app.state.sessions)
    before = writer.loop_commits
    pid = world.patient["a"]
    assert client.get(f"/patients/{pid}").status_code == 200
    assert writer.loop_commits > before
    read = sa.select(sa.func.count()).select_from(AuditLog).where(AuditLog.action == "read")
    with app.state.engine.connect() as conn:
        reads = conn.scalar(read.where(AuditLog.patient_id == pid))
    assert reads and reads >= 2  # the page's reads, durable when it answered


def test_the_loop_does_not_wait_for_a_writer_of_this_process(engine: Engine) -> None:
    """A clinical write holds the writer lock: the turn goes to the writer thread, the loop
    keeps answering, and the entries are durable when the flush returns."""
    writer = _writer(engine)
    lock = engine_writer_lock(engine)
    assert lock is not None
    sink = _held(engine, "behind-a-write")
    lock.acquire()  # this thread: the loop's thread cannot re-enter it

    async def scenario() -> tuple[int, bool, int]:
        flushing = asyncio.create_task(sink.flush())
        ticks = 0
        for _ in range(10):  # the loop is free while the write holds the database
            await asyncio.sleep(0.01)
            ticks += 1
        waiting = not flushing.done()
        logged_meanwhile = _logged(engine, "behind-a-write")
        lock.release()  # the clinical write commits (release from any thread is allowed)
        await asyncio.wait_for(flushing, 30)
        return ticks, waiting, logged_meanwhile

    try:
        ticks, waiting, logged_meanwhile = _on_a_loop(scenario)
    finally:
        if lock.held_here():
            lock.release()
    assert (ticks, waiting, logged_meanwhile) == (10, True, 0)
    assert _logged(engine, "behind-a-write") == 1
    assert writer.loop_commits == 0 and writer.commits == 1  # written by the thread
    assert _verified(engine)


def _other_process_writing(engine: Engine) -> sqlite3.Connection:
    """Another process's write transaction (a CLI import next to the server)."""
    path = sqlite_path(str(engine.url))
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_a_write_that_must_not_wait_refuses_at_once_and_writes_nothing(engine: Engine) -> None:
    engine.raw_connection().close()  # one pooled connection, the one used below
    other = _other_process_writing(engine)
    try:
        with pytest.raises(WouldWait), sqlite_write_cursor(engine, wait=False) as cursor:
            cursor.execute("DELETE FROM audit_log")  # pragma: no cover - never reached
    finally:
        other.execute("ROLLBACK")
        other.close()
    raw = engine.raw_connection()
    try:  # the connection went back to the pool with its usual patience for other writers
        assert raw.cursor().execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS
    finally:
        raw.close()
    lock = engine_writer_lock(engine)
    assert lock is not None and lock.try_acquire()  # and the writer lock was given back
    lock.release()


def test_a_write_that_must_not_wait_refuses_while_another_thread_writes(engine: Engine) -> None:
    lock = engine_writer_lock(engine)
    assert lock is not None
    with lock, ThreadPoolExecutor(1) as pool:

        def attempt() -> str:
            try:
                with sqlite_write_cursor(engine, wait=False):
                    return "written"  # pragma: no cover - the lock is held
            except WouldWait:
                return "would wait"

        assert pool.submit(attempt).result(timeout=60) == "would wait"
    assert _logged(engine) == 0 or _verified(engine)


def test_the_loop_does_not_wait_for_another_process(engine: Engine) -> None:
    writer = _writer(engine)
    sink = _held(engine, "behind-a-process")
    other = _other_process_writing(engine)

    async def scenario() -> tuple[int, bool]:
        flushing = asyncio.create_task(sink.flush())
        ticks = 0
        for _ in range(10):
            await asyncio.sleep(0.01)
            ticks += 1
        waiting = not flushing.done()
        other.execute("COMMIT")  # the other process finishes; the thread's wait ends
        await asyncio.wait_for(flushing, 30)
        return ticks, waiting

    try:
        assert _on_a_loop(scenario) == (10, True)
    finally:
        if other.in_transaction:
            other.execute("ROLLBACK")
        other.close()
    assert _logged(engine, "behind-a-process") == 1
    assert writer.loop_commits == 0 and writer.commits == 1
    assert _verified(engine)


def test_a_turn_that_fails_on_the_loop_is_retried_by_the_thread(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = _writer(engine)
    calls: list[int] = []
    original = audit_writer.append_sqlite

    def first_fails(cursor: sqlite3.Cursor, entries: list[audit.Pending], ring: Any) -> int:
        calls.append(len(entries))
        if len(calls) == 1:
            raise sqlite3.OperationalError("disk I/O error")
        return original(cursor, entries, ring)

    monkeypatch.setattr(audit_writer, "append_sqlite", first_fails)
    sinks = [_held(engine, "retried") for _ in range(3)]

    async def scenario() -> None:
        await asyncio.gather(*(sink.flush() for sink in sinks))

    _on_a_loop(scenario)
    assert calls[0] == 3 and len(calls) >= 2
    assert _logged(engine, "retried") == 3 and writer.loop_commits == 0
    assert _verified(engine)


def test_a_request_gone_before_its_turn_is_still_audited(engine: Engine) -> None:
    """The client went away (the request's task was cancelled) between its flush and the
    turn's commit: its entries are written anyway and the loop reports no error."""
    sinks = [_held(engine, "gone"), _held(engine, "stayed")]
    errors: list[dict[str, Any]] = []

    async def scenario() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: errors.append(context))
        gone = asyncio.create_task(sinks[0].flush())
        stayed = asyncio.create_task(sinks[1].flush())
        await asyncio.sleep(0)  # both joined this turn; the commit is the next callback
        gone.cancel()
        await stayed
        with pytest.raises(asyncio.CancelledError):
            await gone

    _on_a_loop(scenario)
    assert errors == []
    assert (_logged(engine, "gone"), _logged(engine, "stayed")) == (1, 1)
    assert _verified(engine)


def test_try_acquire_never_re_enters_a_lock_held_on_the_same_thread(engine: Engine) -> None:
    lock = engine_writer_lock(engine)
    assert lock is not None
    with lock:
        assert not lock.try_acquire()  # the holder is mid-transaction
    assert lock.try_acquire()
    assert lock.held_here()
    lock.release()
    assert not lock.held_here()
