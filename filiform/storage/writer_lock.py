"""One in-process writer per SQLite engine: the lock every write unit of work takes.

Why: SQLite lets one writer in at a time; threads of one process that race for the lock
otherwise wait in SQLite's busy handler, which sleeps in growing steps (up to 100 ms), so
a burst of writes turns into second-long tails.  Queueing on a Python lock wakes the next
writer as soon as the previous commit is durable.  Other processes (a CLI next to the
server) still rely on SQLite's ``busy_timeout``.
"""

from __future__ import annotations

import threading
import weakref

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from filiform.errors import DatabaseContended
from filiform.storage.contention import BUSY_MESSAGE

# A writer waits for the in-process writer lock no longer than SQLite's busy handler would
# wait for another process's (``busy_timeout`` in storage.engine), then is told the
# database is busy.
WRITER_WAIT_S = 30.0


class WriterLock:
    """A re-entrant lock that another thread may release.

    Why not ``threading.RLock``: FastAPI enters a ``yield`` dependency (the request's unit
    of work) in one worker thread and leaves it in another, so the thread that releases
    is not the one that acquired; an ``RLock`` then raises and the request fails.  Here
    ownership (for re-entry by nested units in the same thread) is by thread while the
    unit runs where it began, and :meth:`detach` gives it up when the unit's body moves to
    another thread; release is allowed from any thread.

    Why the wait is bounded (:data:`WRITER_WAIT_S`, then :class:`DatabaseContended`): an
    API request takes the lock in one worker thread and needs another worker thread for
    its endpoint.  When every worker thread of the pool (40 by default) held a request
    waiting here, the holder never got a thread and nothing moved again; measured with a
    pool of 2 and three concurrent logins.  Now the waiters give up, answer "busy", and
    free their threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._guard = threading.Lock()
        self._owner: int | None = None
        self._depth = 0

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._guard:
            if self._depth and self._owner == me:
                self._depth += 1
                return
        if not self._lock.acquire(timeout=WRITER_WAIT_S):
            raise DatabaseContended(BUSY_MESSAGE)
        with self._guard:
            self._owner, self._depth = me, 1

    def try_acquire(self) -> bool:
        """Take the lock only when no one holds it, without waiting and without re-entry
        (a holder on this same thread is in the middle of its own transaction): for a
        writer that must never block, such as one on the event loop."""
        if not self._lock.acquire(blocking=False):
            return False
        with self._guard:
            self._owner, self._depth = threading.get_ident(), 1
        return True

    def release(self) -> None:
        with self._guard:
            self._depth -= 1
            if self._depth:
                return
            self._owner = None
        self._lock.release()

    def held_here(self) -> bool:
        """True when the current thread holds the lock (so a nested unit re-enters it)."""
        with self._guard:
            return bool(self._depth) and self._owner == threading.get_ident()

    def detach(self) -> None:
        """Keep the lock held but owned by no thread (the unit continues elsewhere)."""
        with self._guard:
            if self._depth and self._owner == threading.get_ident():
                self._owner = None

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


_WRITER_LOCKS: weakref.WeakKeyDictionary[Engine, WriterLock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def writer_lock(factory: sessionmaker[Session]) -> WriterLock | None:
    """The writer lock of the engine a session factory is bound to (see the module doc)."""
    bind = factory.kw.get("bind")
    return engine_writer_lock(bind) if isinstance(bind, Engine) else None


def engine_writer_lock(engine: Engine) -> WriterLock | None:
    """The writer lock of a SQLite engine (created on first use); None for other databases."""
    if engine.dialect.name != "sqlite":
        return None
    with _LOCKS_GUARD:
        lock = _WRITER_LOCKS.get(engine)
        if lock is None:
            lock = _WRITER_LOCKS[engine] = WriterLock()
        return lock
