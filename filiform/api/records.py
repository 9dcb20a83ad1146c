"""Clinic administration: users (admin) and the audit report (ONC d(3), admin)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import Field

from filiform.api.deps import IsoDateTime, PathId, StrictIn, actor, ok, tx
from filiform.services.access import users
from filiform.services.operations import audit

router = APIRouter(tags=["administration"])


class UserIn(StrictIn):
    username: Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9._@-]+$")]
    display_name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Literal["clinician", "assistant", "front_desk", "admin"]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


@router.post("/users", status_code=201)
def create_user(body: UserIn, request: Request) -> dict[str, Any]:
    who = actor(request)
    with tx(request) as s:
        row = users.create_user(s, actor=who, **body.model_dump())
        return ok({"id": row.id, "username": row.username, "role": row.role})


@router.post("/users/{user_id}/deactivate")
def deactivate(user_id: PathId, request: Request) -> dict[str, Any]:
    who = actor(request)
    with tx(request) as s:
        users.deactivate_user(s, actor=who, user_id=user_id)
    return ok({"id": user_id, "active": False})


@router.get("/audit")
def audit_report(
    request: Request,
    start: Annotated[IsoDateTime | None, Query(alias="from")] = None,
    end: Annotated[IsoDateTime | None, Query(alias="to")] = None,
    sort: Literal["at", "seq", "user_id", "action", "entity", "patient_id"] = "at",
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> dict[str, Any]:
    who = actor(request)
    now = datetime.now(UTC)
    with tx(request) as s:
        rows = audit.report(
            s,
            actor=who,
            start=start or now - timedelta(days=1),
            end=end or now + timedelta(minutes=1),
            sort=sort,
            limit=limit,
        )
        return ok(rows)
