"""Account administration (admin role): list users, issue a reset token, reactivate.

Deactivation stays in ``api.records`` (``POST /users/{id}/deactivate``); the service
refuses the clinic's last active administrator.
"""

from __future__ import annotations

from fastapi import APIRouter

from filiform.api.deps import CurrentActor, Envelope, PathId, UnitOfWork
from filiform.api.schemas.users import ResetIssued, UserRow, UserState
from filiform.services.access import accounts

router = APIRouter(tags=["administration"])


@router.get("/users", response_model=Envelope[list[UserRow]])
def list_users(who: CurrentActor, s: UnitOfWork) -> Envelope[list[UserRow]]:
    rows = accounts.list_users(s, actor=who)
    return Envelope(
        data=[
            UserRow(
                id=u.id,
                username=u.username,
                display_name=u.display_name,
                role=u.role,
                active=u.active,
                reset_pending=u.must_change_password,
            )
            for u in rows
        ]
    )


@router.post("/users/{user_id}/reset-password", response_model=Envelope[ResetIssued])
def reset_password(user_id: PathId, who: CurrentActor, s: UnitOfWork) -> Envelope[ResetIssued]:
    """A one-time token for the user to choose a new password (shown once; 24 h)."""
    token = accounts.admin_reset(s, actor=who, user_id=user_id)
    return Envelope(data=ResetIssued(id=user_id, reset_token=token, valid_hours=accounts.RESET_VALID_HOURS))


@router.post("/users/{user_id}/reactivate", response_model=Envelope[UserState])
def reactivate(user_id: PathId, who: CurrentActor, s: UnitOfWork) -> Envelope[UserState]:
    accounts.reactivate(s, actor=who, user_id=user_id)
    return Envelope(data=UserState(id=user_id, active=True))
