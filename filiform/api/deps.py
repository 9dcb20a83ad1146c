"""What every endpoint shares: the actor, one unit of work, the response envelope, ids.

Endpoints take their dependencies the FastAPI way::

    def read(patient_id: PathId, who: CurrentActor, s: UnitOfWork) -> Envelope[PatientView]:

``CurrentActor`` is the logged-in actor (401 otherwise); ``UnitOfWork`` is one database
transaction, committed when the endpoint returns and before the response is sent (rolled
back if it raises). Request bodies are the core concepts themselves (strict: ``"7"`` is
not 7, an unknown key is an error), so the API validates exactly as every other face.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Annotated, Any, Generic, Literal, TypeVar

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from fastapi import Depends, Path, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from filiform.core.concepts.values import MAX_ID, IsoDate, IsoDateTime, RecordId
from filiform.errors import FiliformError
from filiform.services.access.context import Actor
from filiform.storage.engine import detach_writer, transaction

__all__ = [
    "CurrentActor",
    "Envelope",
    "IsoDate",
    "IsoDateTime",
    "NotAuthenticated",
    "PathId",
    "RecordId",
    "UnitOfWork",
    "actor",
    "ok",
    "tx",
]

T = TypeVar("T")
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]


class NotAuthenticated(FiliformError):
    """No live session: log in (again)."""

    status = 401
    code = "not_authenticated"


class StrictIn(BaseModel):
    """Request bodies that are not a core concept (login, user administration)."""

    model_config = ConfigDict(strict=True, extra="forbid")


class Envelope(BaseModel, Generic[T]):
    """Every JSON answer: ``{"ok": true, "data": ...}`` (errors: ``{"ok": false, ...}``)."""

    ok: Literal[True] = True
    data: T


def actor(request: Request) -> Actor:
    """The logged-in actor, or 401."""
    found = getattr(request.state, "actor", None)
    if not isinstance(found, Actor):
        raise NotAuthenticated("log in first")
    return found


# Worker threads for starting units of work, apart from the pool endpoints run in (below).
UNIT_STARTS = 40


async def unit_of_work(request: Request) -> AsyncIterator[Session]:
    """One durable transaction for the endpoint.

    Its start and end run in worker threads that need not be the endpoint's, so the
    SQLite writer lock taken at the start is detached from that thread (the thread may
    serve another request meanwhile) and released wherever the end runs.

    Why not a plain generator, which FastAPI would run in its worker threads: starting a
    write waits for the writer lock, and the lock's holder still needs a worker thread
    for its endpoint.  When every thread of FastAPI's pool (40) held a request waiting
    here, the holder waited for a thread until the waiters gave up 30 s later (503).
    Here the waiting happens in threads of a separate limit (:data:`UNIT_STARTS`), so the
    pool always has a thread for the holder's endpoint; the end runs outside any limit,
    as FastAPI does for a generator's end.
    """
    unit = transaction(request.app.state.sessions)
    session = await anyio.to_thread.run_sync(_start, unit, limiter=_starts_limiter())
    try:
        yield session
    except BaseException as exc:
        with anyio.CancelScope(shield=True):
            suppressed = await anyio.to_thread.run_sync(
                unit.__exit__, type(exc), exc, exc.__traceback__, limiter=anyio.CapacityLimiter(1)
            )
        if not suppressed:
            raise
    else:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(unit.__exit__, None, None, None, limiter=anyio.CapacityLimiter(1))


def _start(unit: AbstractContextManager[Session]) -> Session:
    session = unit.__enter__()
    detach_writer(session)
    return session


_STARTS: RunVar[anyio.CapacityLimiter] = RunVar("filiform_unit_starts")


def _starts_limiter() -> anyio.CapacityLimiter:
    """One limiter per event loop (a limiter belongs to the loop that made it)."""
    try:
        return _STARTS.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(UNIT_STARTS)
        _STARTS.set(limiter)
        return limiter


CurrentActor = Annotated[Actor, Depends(actor)]
UnitOfWork = Annotated[Session, Depends(unit_of_work, scope="function")]


@contextmanager
def tx(request: Request) -> Iterator[Session]:
    """One unit of work as a context manager (for endpoints that open it themselves)."""
    with transaction(request.app.state.sessions) as session:
        yield session


def ok(data: Any) -> dict[str, Any]:
    return {"ok": True, "data": data}
