"""What every endpoint shares: the actor, one transaction, strict input models, ids.

Request models subclass :class:`StrictIn` (``strict=True, extra="forbid"``): ``"7"`` is
not 7 and an unknown key is an error, so a typo never silently drops a field.  Dates and
times are the one exception: JSON has no date type, so they are ISO strings parsed here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import Path, Request
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from sqlalchemy.orm import Session

from filiform.errors import FiliformError
from filiform.services.access.context import Actor
from filiform.storage.engine import transaction

MAX_ID = 2_147_483_647


class NotAuthenticated(FiliformError):
    """No live session: log in (again)."""

    status = 401
    code = "not_authenticated"


class StrictIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


def _iso_date(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value) if len(value) == 10 else value
        except ValueError:
            raise ValueError("expected a date as YYYY-MM-DD") from None
    return value


def _iso_datetime(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("expected an ISO 8601 date-time") from None
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]
RecordId = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
Text = Annotated[str, Field(max_length=4000)]
ShortText = Annotated[str, Field(max_length=200)]


def actor(request: Request) -> Actor:
    """The logged-in actor, or 401."""
    found = getattr(request.state, "actor", None)
    if not isinstance(found, Actor):
        raise NotAuthenticated("log in first")
    return found


@contextmanager
def tx(request: Request) -> Iterator[Session]:
    """One unit of work, committed before the response is built."""
    with transaction(request.app.state.sessions) as session:
        yield session


def ok(data: Any) -> dict[str, Any]:
    return {"ok": True, "data": data}
