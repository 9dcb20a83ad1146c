"""Account administration (admin role): list users, issue a reset token, reactivate.

Deactivation stays in ``api.records`` (``POST /users/{id}/deactivate``); the service
refuses the clinic's last active administrator.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from filiform.api.deps import PathId, actor, ok, tx
from filiform.services.access import accounts

router = APIRouter(tags=["administration"])


@router.get("/users")
def list_users(request: Request) -> dict[str, Any]:
    who = actor(request)
    with tx(request) as s:
        rows = accounts.list_users(s, actor=who)
        return ok(
            [
                {
                    "id": u.id,
                    "username": u.username,
                    "display_name": u.display_name,
                    "role": u.role,
                    "active": u.active,
                    "reset_pending": u.must_change_password,
                }
                for u in rows
            ]
        )


@router.post("/users/{user_id}/reset-password")
def reset_password(user_id: PathId, request: Request) -> dict[str, Any]:
    """A one-time token for the user to choose a new password (shown once; 24 h)."""
    who = actor(request)
    with tx(request) as s:
        token = accounts.admin_reset(s, actor=who, user_id=user_id)
    return ok({"id": user_id, "reset_token": token, "valid_hours": accounts.RESET_VALID_HOURS})


@router.post("/users/{user_id}/reactivate")
def reactivate(user_id: PathId, request: Request) -> dict[str, Any]:
    who = actor(request)
    with tx(request) as s:
        accounts.reactivate(s, actor=who, user_id=user_id)
    return ok({"id": user_id, "active": True})
