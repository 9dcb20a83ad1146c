"""Logging in: password (and TOTP when enrolled), throttled, audited, a new session.

:func:`login` does not raise on bad credentials: it returns ``LoginResult.error`` so that
the caller commits the transaction and the audited failure (and the throttle's count)
are kept.  Re-exported by :mod:`.auth_sessions`, which owns the rest of the session rules.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from filiform.errors import PermissionDenied
from filiform.services.access.auth_cookies import token_hash
from filiform.services.access.context import Actor
from filiform.services.access.login_throttle import DEFAULT_THROTTLE, LoginThrottle
from filiform.services.access.totp import _check_totp
from filiform.services.access.users import RESET_PENDING, authenticate
from filiform.services.operations import audit
from filiform.storage.models_auth import AuthSession, UserTotp

GENERIC_FAILURE = "unknown user or wrong password"


@dataclass(frozen=True)
class LoginResult:
    """``token`` and ``actor`` on success; ``needs_totp`` when a code must be supplied;
    ``error`` (a message safe to show) and ``retry_after`` (seconds) otherwise."""

    token: str | None
    actor: Actor | None
    needs_totp: bool = False
    error: str | None = None
    retry_after: float = 0.0

    @property
    def ok(self) -> bool:
        return self.token is not None


def login(
    session: Session,
    *,
    username: str,
    password: str,
    totp: str | None,
    client: str,
    throttle: LoginThrottle | None = None,
    now: datetime | None = None,
) -> LoginResult:
    """Check credentials (and TOTP when enrolled) and open a server-side session."""
    throttle = throttle or DEFAULT_THROTTLE
    at = now or datetime.now(UTC)
    client = client[:80]
    key = username.strip().lower()
    wait = throttle.retry_after(session, key, client, at)
    if wait > 0:
        audit.record(session, actor=None, action="login_throttled", entity="user", detail={"client": client})
        return LoginResult(None, None, error="too many failed logins; try again later", retry_after=wait)
    try:
        actor = authenticate(session, username=username, password=password, client=client)
    except PermissionDenied as exc:
        throttle.failed(session, key, client, at)
        return LoginResult(None, None, error=RESET_PENDING if exc.message == RESET_PENDING else GENERIC_FAILURE)
    enrolled = session.get(UserTotp, actor.user_id)
    if enrolled is not None and enrolled.confirmed_at is not None:
        if not totp:
            return LoginResult(None, None, needs_totp=True, error="enter the code from your app")
        if not _check_totp(session, enrolled, totp, at):
            throttle.failed(session, key, client, at)
            audit.record(
                session,
                actor=actor,
                action="login_failed",
                entity="user",
                entity_id=actor.user_id,
                detail={"client": client, "factor": "totp"},
            )
            return LoginResult(None, None, needs_totp=True, error="wrong or reused code")
    throttle.succeeded(session, key)
    token = secrets.token_urlsafe(32)
    session.add(
        AuthSession(
            token_hash=token_hash(token),
            user_id=actor.user_id,
            clinic_id=actor.clinic_id,
            client=client,
            created_at=at,
            last_seen_at=at,
        )
    )
    session.flush()
    return LoginResult(token, actor)
