"""Group commit for audit entries of reads: one writer thread per database.

Why: every read of patient data is audited.  Written in the request's own transaction,
each read took SQLite's single writer lock and paid a durable commit, so reads queued
behind each other and behind clinical writes, and throughput fell as clients rose.  Now a
read request's unit of work runs as a plain read (:func:`filiform.storage.engine.
transaction`) and hands its entries here; one thread appends everything that is waiting
in one transaction (one fsync for many reads) and wakes the callers.

Durability guarantee: :meth:`AuditWriter.write` returns only after the transaction holding
the entries has committed (``synchronous=FULL`` on SQLite), and the response is sent only
after it returns, so a read whose data reached the client is audited on disk; a crash
can lose only entries of requests that had not yet been answered.  If the write fails,
the request fails (no data without its audit entry).

The thread exits after a short idle time and is restarted by the next entry, so test
suites that open hundreds of databases do not keep hundreds of threads.

On SQLite a request on the event loop does not need the thread at all
(:meth:`AuditWriter.write_async`): the entries of every request that reaches its flush in
the same turn of the loop are appended in one transaction by a callback on the loop
itself, which answers them all.  Why: handing entries to a thread and waking the loop
from it cost more than the commit (measured: CPU per cached patient page 1.63 ms through
the thread, 1.08 ms committed on the loop, 0.89 ms with no audit at all; docs/records.md).
The loop must never wait for another writer, so the callback takes the writer lock and
SQLite's file lock only when they are free (``sqlite_write_cursor(wait=False)``) and
otherwise hands the entries to the thread, which waits as before.  The same guarantee
holds on both paths: the response starts only after the commit.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from filiform.services.operations import audit
from filiform.services.operations.audit_batch import append_many, append_sqlite
from filiform.services.operations.audit_entries import engine_ring
from filiform.storage.engine import WouldWait, session_factory, sqlite_write_cursor, transaction

IDLE_EXIT_S = 2.0
MAX_BATCH = 500

Batch = tuple[list[audit.Pending], "Future[None]"]


@dataclass
class _LoopTurn:
    """Entries of the requests that reached their flush in one turn of one event loop."""

    loop: asyncio.AbstractEventLoop
    # each request's entries and what it waits for: None once they are committed on the
    # loop, else the thread's future for them
    waiting: list[tuple[list[audit.Pending], asyncio.Future[Future[None] | None]]] = field(default_factory=list)


class AuditWriter:
    """Appends queued entries in as few durable transactions as the load allows."""

    def __init__(self, engine: Engine) -> None:
        # A weak reference: the registry below is keyed by the engine, and a strong one
        # here would keep every engine a test suite ever opened alive.
        self._engine = weakref.ref(engine)
        # One factory while the thread runs: building a sessionmaker defines a Session
        # subclass and its event dispatch, about 0.3 ms, more than appending a page's
        # entries.  Dropped when the thread exits (it holds the engine strongly).
        self._sessions: sessionmaker[Session] | None = None
        self._queue: deque[Batch] = deque()
        self._cv = threading.Condition()
        self._thread: threading.Thread | None = None
        self._turn: _LoopTurn | None = None  # only touched on its loop's thread
        self.commits = 0  # for tests and benchmarks: transactions written so far
        self.loop_commits = 0  # of which on the event loop (write_async)

    def submit(self, entries: list[audit.Pending]) -> Future[None]:
        done: Future[None] = Future()
        if not entries:
            done.set_result(None)
            return done
        with self._cv:
            self._queue.append((list(entries), done))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="filiform-audit-writer", daemon=True)
                self._thread.start()
            self._cv.notify()
        return done

    def write(self, entries: list[audit.Pending]) -> None:
        """Submit and wait until the entries are durable (re-raises a failed write)."""
        self.submit(entries).result()

    async def write_async(self, entries: list[audit.Pending]) -> None:
        """On the event loop: return once the entries are durable (re-raises a failed write).

        SQLite: joins this turn of the loop's group commit, made on the loop (see the
        module doc); anything else, or a turn the loop could not write without waiting,
        goes through the thread.
        """
        if not entries:
            return
        engine = self._engine()
        loop = asyncio.get_running_loop()
        turn = self._turn
        if engine is None or engine.dialect.name != "sqlite" or (turn is not None and turn.loop is not loop):
            await asyncio.wrap_future(self.submit(entries))
            return
        if turn is None:
            turn = self._turn = _LoopTurn(loop)
            loop.call_soon(self._commit_turn, turn)
        answer: asyncio.Future[Future[None] | None] = loop.create_future()
        turn.waiting.append((list(entries), answer))
        handed = await answer
        if handed is not None:
            await asyncio.wrap_future(handed)

    def _commit_turn(self, turn: _LoopTurn) -> None:
        """Append a turn's entries in one transaction on the loop, or hand them to the thread."""
        self._turn = None
        engine = self._engine()
        try:
            if engine is None:
                raise WouldWait
            with sqlite_write_cursor(engine, wait=False) as cursor:
                append_sqlite(cursor, [e for each, _ in turn.waiting for e in each], engine_ring(engine))
        except Exception:  # busy, or a failed batch: the thread waits, retries each alone, reports
            for entries, answer in turn.waiting:
                handed = self.submit(entries)
                if not answer.done():  # a request cancelled meanwhile (client gone) is still audited
                    answer.set_result(handed)
            return
        self.commits += 1
        self.loop_commits += 1
        for _, answer in turn.waiting:
            if not answer.done():
                answer.set_result(None)

    def _take(self) -> list[Batch] | None:
        with self._cv:
            if not self._queue:
                self._cv.wait(IDLE_EXIT_S)
            if not self._queue:
                self._thread = None
                self._sessions = None  # under the lock: a thread started after this makes its own
                return None
            taken: list[Batch] = []
            size = 0
            while self._queue and size < MAX_BATCH:
                item = self._queue.popleft()
                # from here its caller can no longer cancel it (a request whose client
                # left is still audited); one cancelled before keeps its entries too,
                # and is simply not answered (setting it would raise and end the thread)
                item[1].set_running_or_notify_cancel()
                taken.append(item)
                size += len(item[0])
            return taken

    def _append(self, batches: list[Batch]) -> None:
        engine = self._engine()
        if engine is None:
            raise RuntimeError("the database engine was closed before its audit entries were written")
        entries = [entry for each, _ in batches for entry in each]
        if engine.dialect.name == "sqlite":
            # a plain cursor: the least Python beside the event loop (sqlite_write_cursor)
            with sqlite_write_cursor(engine) as cursor:
                append_sqlite(cursor, entries, engine_ring(engine))
        else:
            sessions = self._sessions
            if sessions is None:
                sessions = self._sessions = session_factory(engine)
            with transaction(sessions) as session:
                append_many(session, entries)
        self.commits += 1

    def _run(self) -> None:
        while True:
            batches = self._take()
            if batches is None:
                return
            try:
                self._append(batches)
            except Exception:
                # One bad entry must not fail the others: retry each request alone.
                for one in batches:
                    try:
                        self._append([one])
                    except Exception as exc:
                        _answer(one[1], exc)
                    else:
                        _answer(one[1], None)
            else:
                for _, done in batches:
                    _answer(done, None)


def _answer(done: Future[None], error: Exception | None) -> None:
    """Tell a waiting caller how its entries went (not one that was cancelled meanwhile)."""
    if done.cancelled():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


_WRITERS: weakref.WeakKeyDictionary[Engine, AuditWriter] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def writer_for(factory: sessionmaker[Session]) -> AuditWriter:
    """The one writer of this factory's engine (created on first use)."""
    bind = factory.kw.get("bind")
    assert isinstance(bind, Engine), "the session factory must be bound to an engine"
    with _GUARD:
        found = _WRITERS.get(bind)
        if found is None:
            found = _WRITERS[bind] = AuditWriter(bind)
        return found


class GroupCommitSink:
    """:class:`filiform.storage.engine.ReadAuditSink` for web requests."""

    def write_now(self, session: Session, entries: list[Any]) -> None:
        append_many(session, entries)

    def write_later(self, factory: sessionmaker[Session], entries: list[Any]) -> None:
        writer_for(factory).write(entries)


SINK = GroupCommitSink()
