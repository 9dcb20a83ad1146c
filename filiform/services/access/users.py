"""Clinics and their users; passwords judged and hashed by :mod:`.passwords`.

Login (sessions, MFA) is built by :mod:`.auth_sessions` on :func:`authenticate`; password
change, reset, reactivation and MFA changes are in :mod:`.accounts`.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.errors import Conflict, PermissionDenied, ValidationFailed
from filiform.services.access import passwords
from filiform.services.access.context import Actor, Perm, Role, require
from filiform.services.access.passwords import ARGON2_PROFILE_ENV, hash_password, hasher
from filiform.services.access.scope import owned
from filiform.services.operations import audit
from filiform.services.records.clinic_settings import settings_of
from filiform.storage.models import AuthState, Clinic, User

__all__ = ["ARGON2_PROFILE_ENV", "hash_password", "hasher"]
RESET_PENDING = "a password reset is pending for this account: choose a new password with the reset token"


def bump_epoch(session: Session) -> None:
    """Tell every process that cached sessions may have been revoked (see session_cache)."""
    session.execute(sa.update(AuthState).where(AuthState.id == 1).values(epoch=AuthState.epoch + 1))


def create_clinic(
    session: Session,
    *,
    name: str,
    admin_username: str,
    admin_password: str,
    admin_name: str = "Administrator",
    client: str = "local",
) -> tuple[Clinic, User]:
    """Bootstrap a clinic with its first admin (audited on the system chain)."""
    if not name.strip():
        raise ValidationFailed("clinic name is empty")
    clinic = Clinic(name=name.strip())
    session.add(clinic)
    session.flush()
    settings_of(session, clinic.id)  # its time zone fixed now, so no later page writes it on a read
    admin = _new_user(session, clinic, admin_username, admin_name, Role.ADMIN, admin_password)
    actor = Actor(user_id=admin.id, clinic_id=clinic.id, role=Role.ADMIN, client=client)
    audit.record(session, actor=actor, action="create", entity="clinic", entity_id=clinic.id, chain=audit.SYSTEM_CHAIN)
    audit.record(session, actor=actor, action="create", entity="user", entity_id=admin.id, detail={"role": "admin"})
    return clinic, admin


def _new_user(session: Session, clinic: Clinic, username: str, display_name: str, role: Role, password: str) -> User:
    username = username.strip().lower()
    if not username:
        raise ValidationFailed("username is empty")
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"username '{username}' is taken")
    passwords.check(password, context=(username, display_name, clinic.name))
    user = User(
        clinic_id=clinic.id,
        username=username,
        display_name=display_name,
        role=Role(role).value,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def create_user(
    session: Session,
    *,
    actor: Actor,
    username: str,
    display_name: str,
    role: Role | str,
    password: str,
) -> User:
    require(actor, Perm.MANAGE_USERS)
    try:
        role = Role(role)
    except ValueError as exc:
        raise ValidationFailed(f"unknown role '{role}'") from exc
    clinic = session.get(Clinic, actor.clinic_id)
    assert clinic is not None
    user = _new_user(session, clinic, username, display_name, role, password)
    audit.record(session, actor=actor, action="create", entity="user", entity_id=user.id, detail={"role": role.value})
    return user


def active_admins(session: Session, clinic_id: int) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .where(User.clinic_id == clinic_id, User.role == Role.ADMIN.value, User.active.is_(True))
        )
        or 0
    )


def deactivate_user(session: Session, *, actor: Actor, user_id: int) -> None:
    """Deactivate a user (their sessions end at once); never the clinic's last active admin."""
    require(actor, Perm.MANAGE_USERS)
    user = owned(session, User, user_id, actor=actor)
    if user.active and user.role == Role.ADMIN.value and active_admins(session, user.clinic_id) <= 1:
        raise Conflict("this is the clinic's last active administrator: make another admin first")
    user.active = False
    bump_epoch(session)
    audit.record(session, actor=actor, action="deactivate", entity="user", entity_id=user_id)


def authenticate(session: Session, *, username: str, password: str, client: str) -> Actor:
    """Check a password; every attempt, good or bad, is audited.

    The password is checked (or a dummy hash, for an unknown user) before anything else
    is decided, so an unknown, inactive or reset-pending account answers in the same time.
    """
    user = session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    ok = passwords.verify(user.password_hash if user is not None else None, password)
    usable = user is not None and user.active and ok
    if not usable or user is None:
        audit.record(
            session,
            actor=None,
            action="login_failed",
            entity="user",
            entity_id=user.id if user else None,
            detail={"client": client},
            chain=user.clinic_id if user else audit.SYSTEM_CHAIN,
        )
        raise PermissionDenied("unknown user or wrong password")
    if user.must_change_password:
        audit.record(
            session,
            actor=None,
            action="login_failed",
            entity="user",
            entity_id=user.id,
            detail={"client": client, "reason": "reset_pending"},
            chain=user.clinic_id,
        )
        raise PermissionDenied(RESET_PENDING)
    actor = Actor(user_id=user.id, clinic_id=user.clinic_id, role=Role(user.role), client=client)
    audit.record(session, actor=actor, action="login", entity="user", entity_id=user.id)
    return actor
