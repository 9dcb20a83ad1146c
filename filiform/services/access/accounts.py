"""Account life cycle: password change, administrator reset, reactivation, MFA changes.

Rules, and why:

* changing the password needs the current one; changing or removing a confirmed TOTP
  enrolment needs the password *and* a current code, so a borrowed or stolen live
  session cannot quietly replace the second factor (it used to re-enrol with neither);
  wrong passwords here count against the same login throttle;
* an administrator's reset issues a one-time token (only its SHA-256 is stored, valid
  :data:`RESET_VALID_HOURS` hours), ends the user's sessions and blocks password login
  until the user chooses a new password with the token (``must_change_password``);
  ``filiform user reset-password`` does the same from the server's console (an imported
  clinic's administrators have no usable password);
* reactivation makes a deactivated or imported-inactive account usable again (the last
  active administrator can never be deactivated: ``users.deactivate_user``);
* a new password always passes :func:`filiform.services.access.passwords.check`;
* anything that can weaken a session increments the revocation epoch
  (``users.bump_epoch``), so cached sessions in every process see it.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.errors import NotFound, PermissionDenied, ValidationFailed
from filiform.services.access import passwords, totp
from filiform.services.access.auth_cookies import token_hash
from filiform.services.access.auth_sessions import end_sessions
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.login_throttle import DEFAULT_THROTTLE, LoginThrottle
from filiform.services.access.scope import owned
from filiform.services.access.users import bump_epoch
from filiform.services.operations import audit
from filiform.storage.models import Clinic, PasswordReset, User

RESET_VALID_HOURS = 24


def _user(session: Session, actor: Actor) -> User:
    user = session.get(User, actor.user_id)
    if user is None or not user.active:
        raise PermissionDenied("unknown user")
    return user


def _context(session: Session, user: User) -> tuple[str, ...]:
    clinic = session.get(Clinic, user.clinic_id)
    return (user.username, user.display_name, clinic.name if clinic else "")


def _check_password(session: Session, user: User, password: str, client: str, throttle: LoginThrottle | None) -> None:
    """The current password, throttled like a login (raises PermissionDenied)."""
    throttle = throttle or DEFAULT_THROTTLE
    if throttle.retry_after(session, user.username, client) > 0:
        raise PermissionDenied("too many failed attempts; try again later")
    if not passwords.verify(user.password_hash, password):
        throttle.failed(session, user.username, client)
        raise PermissionDenied("the current password is wrong")


def _set_password(session: Session, user: User, new_password: str) -> None:
    passwords.check(new_password, context=_context(session, user))
    if passwords.verify(user.password_hash, new_password):
        raise ValidationFailed("choose a password you have not been using")
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = datetime.now(UTC)
    user.must_change_password = False


def change_password(
    session: Session,
    *,
    actor: Actor,
    current_password: str,
    new_password: str,
    keep_session: str | None = None,
    throttle: LoginThrottle | None = None,
) -> int:
    """Change one's own password; other sessions of the user end.  Returns how many ended."""
    user = _user(session, actor)
    _check_password(session, user, current_password, actor.client, throttle)
    _set_password(session, user, new_password)
    ended = end_sessions(session, user_id=user.id, reason="password_change", keep=keep_session)
    audit.record(session, actor=actor, action="password_change", entity="user", entity_id=user.id)
    return ended


def _issue(session: Session, user: User, created_by: int | None) -> str:
    now = datetime.now(UTC)
    session.execute(
        sa.update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)  # an older, unused token stops working
    )
    token = secrets.token_urlsafe(32)
    session.add(
        PasswordReset(
            user_id=user.id,
            token_hash=token_hash(token),
            created_by=created_by,
            created_at=now,
            expires_at=now + timedelta(hours=RESET_VALID_HOURS),
        )
    )
    user.must_change_password = True
    end_sessions(session, user_id=user.id, reason="password_reset")
    session.flush()
    return token


def admin_reset(session: Session, *, actor: Actor, user_id: int) -> str:
    """Issue a one-time reset token for a user of the admin's clinic (shown once)."""
    require(actor, Perm.MANAGE_USERS)
    user = owned(session, User, user_id, actor=actor)
    token = _issue(session, user, actor.user_id)
    audit.record(session, actor=actor, action="password_reset_issued", entity="user", entity_id=user.id)
    return token


def _by_username(session: Session, username: str) -> User:
    user = session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"no user '{username}'")
    return user


def console_reset(session: Session, *, username: str, operator: str) -> str:
    """:func:`admin_reset` from the server's console (audited on the user's clinic chain)."""
    user = _by_username(session, username)
    token = _issue(session, user, None)
    audit.record(
        session,
        actor=None,
        action="password_reset_issued",
        entity="user",
        entity_id=user.id,
        detail={"by": "console", "operator": operator[:40]},
        chain=user.clinic_id,
    )
    return token


def complete_reset(session: Session, *, token: str, new_password: str, client: str) -> None:
    """Choose a new password with a reset token (once; expired or used tokens fail alike)."""
    now = datetime.now(UTC)
    row = session.scalar(sa.select(PasswordReset).where(PasswordReset.token_hash == token_hash(token.strip())))
    expires = None if row is None else row.expires_at
    if expires is not None and expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)  # SQLite returns naive UTC
    if row is None or row.used_at is not None or expires is None or expires < now:
        raise PermissionDenied("this reset token is unknown, used or expired: ask an administrator for a new one")
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise PermissionDenied("this account is not active: ask an administrator to reactivate it")
    _set_password(session, user, new_password)
    row.used_at = now
    bump_epoch(session)
    audit.record(
        session,
        actor=None,
        action="password_reset_done",
        entity="user",
        entity_id=user.id,
        detail={"client": client[:80]},
        chain=user.clinic_id,
    )


def reactivate(session: Session, *, actor: Actor, user_id: int) -> None:
    require(actor, Perm.MANAGE_USERS)
    user = owned(session, User, user_id, actor=actor)
    user.active = True
    bump_epoch(session)
    audit.record(session, actor=actor, action="reactivate", entity="user", entity_id=user.id)


def console_reactivate(session: Session, *, username: str, operator: str) -> None:
    user = _by_username(session, username)
    user.active = True
    bump_epoch(session)
    audit.record(
        session,
        actor=None,
        action="reactivate",
        entity="user",
        entity_id=user.id,
        detail={"by": "console", "operator": operator[:40]},
        chain=user.clinic_id,
    )


def _second_factor_change_allowed(
    session: Session, actor: Actor, password: str, code: str | None, throttle: LoginThrottle | None
) -> User:
    user = _user(session, actor)
    _check_password(session, user, password, actor.client, throttle)
    if totp.totp_enabled(session, user_id=user.id) and not (
        code and totp.check_code(session, user_id=user.id, code=code)
    ):
        (throttle or DEFAULT_THROTTLE).failed(session, user.username, actor.client)
        raise PermissionDenied("a current code from your authenticator app is required")
    return user


def start_totp(
    session: Session, *, actor: Actor, password: str, code: str | None = None, throttle: LoginThrottle | None = None
) -> str:
    """Enrol (or re-enrol) TOTP: the password, and a current code when one is in force."""
    _second_factor_change_allowed(session, actor, password, code, throttle)
    return totp.enable_totp(session, actor=actor)


def remove_totp(
    session: Session, *, actor: Actor, password: str, code: str, throttle: LoginThrottle | None = None
) -> None:
    """Turn TOTP off: the password and a current code."""
    _second_factor_change_allowed(session, actor, password, code, throttle)
    totp.disable_totp(session, actor=actor)


def list_users(session: Session, *, actor: Actor) -> list[User]:
    require(actor, Perm.MANAGE_USERS)
    stmt = sa.select(User).where(User.clinic_id == actor.clinic_id).order_by(User.username)
    return list(session.scalars(stmt))
