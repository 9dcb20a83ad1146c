"""What every endpoint shares: the actor, one unit of work, the response envelope, ids.

Endpoints take their dependencies the FastAPI way::

    def read(patient_id: PathId, who: CurrentActor, s: UnitOfWork) -> Envelope[PatientView]:

``CurrentActor`` is the logged-in actor (401 otherwise); ``UnitOfWork`` is one database
transaction, committed when the endpoint returns and before the response is sent (rolled
back if it raises). Request bodies are the core concepts themselves (strict: ``"7"`` is
not 7, an unknown key is an error), so the API validates exactly as every other face.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Generic, Literal, TypeVar

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


def unit_of_work(request: Request) -> Iterator[Session]:
    """One durable transaction for the endpoint.

    FastAPI runs this generator's start and end in worker threads that need not be the
    endpoint's, so the SQLite writer lock taken here is detached from this thread (the
    thread may serve another request meanwhile) and released wherever the end runs.
    """
    with transaction(request.app.state.sessions) as session:
        detach_writer(session)
        yield session


CurrentActor = Annotated[Actor, Depends(actor)]
UnitOfWork = Annotated[Session, Depends(unit_of_work, scope="function")]


@contextmanager
def tx(request: Request) -> Iterator[Session]:
    """One unit of work as a context manager (for endpoints that open it themselves)."""
    with transaction(request.app.state.sessions) as session:
        yield session


def ok(data: Any) -> dict[str, Any]:
    return {"ok": True, "data": data}
