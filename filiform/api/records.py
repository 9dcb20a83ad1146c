"""Clinic administration: users (admin) and the audit report (ONC d(3), admin)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from filiform.api.deps import CurrentActor, Envelope, IsoDateTime, PathId, UnitOfWork
from filiform.api.schemas.users import UserCreated, UserIn, UserState
from filiform.services.access import users
from filiform.services.operations import audit

router = APIRouter(tags=["administration"])


@router.post("/users", status_code=201, response_model=Envelope[UserCreated])
def create_user(body: UserIn, who: CurrentActor, s: UnitOfWork) -> Envelope[UserCreated]:
    row = users.create_user(s, actor=who, **body.model_dump())
    return Envelope(data=UserCreated(id=row.id, username=row.username, role=row.role))


@router.post("/users/{user_id}/deactivate", response_model=Envelope[UserState])
def deactivate(user_id: PathId, who: CurrentActor, s: UnitOfWork) -> Envelope[UserState]:
    users.deactivate_user(s, actor=who, user_id=user_id)
    return Envelope(data=UserState(id=user_id, active=False))


@router.get("/audit", response_model=Envelope[list[dict[str, Any]]])
def audit_report(
    who: CurrentActor,
    s: UnitOfWork,
    start: Annotated[IsoDateTime | None, Query(alias="from")] = None,
    end: Annotated[IsoDateTime | None, Query(alias="to")] = None,
    sort: Literal["at", "seq", "user_id", "action", "entity", "patient_id"] = "at",
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> Envelope[list[dict[str, Any]]]:
    now = datetime.now(UTC)
    rows = audit.report(
        s,
        actor=who,
        start=start or now - timedelta(days=1),
        end=end or now + timedelta(minutes=1),
        sort=sort,
        limit=limit,
    )
    return Envelope(data=rows)
