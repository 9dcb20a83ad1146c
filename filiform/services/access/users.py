"""Clinics and their users; passwords stored as argon2id hashes.

Login (sessions, MFA) is built by the web layer on :func:`authenticate`.
"""

from __future__ import annotations

import os
from functools import lru_cache

import sqlalchemy as sa
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST
from sqlalchemy.orm import Session

from filiform.errors import Conflict, PermissionDenied, ValidationFailed
from filiform.services.access.context import Actor, Perm, Role, require
from filiform.services.access.scope import owned
from filiform.services.operations import audit
from filiform.storage.models import Clinic, User

MIN_PASSWORD = 12
ARGON2_PROFILE_ENV = "FILIFORM_ARGON2_PROFILE"


@lru_cache(maxsize=4)
def _hasher_for(profile: str) -> PasswordHasher:
    if profile in ("", "default"):
        # argon2id, RFC 9106 low-memory profile (t=3, 64 MiB, p=4): above OWASP's minimum
        # of 19 MiB; a hash costs tens of milliseconds, which is what makes guessing slow.
        return PasswordHasher(type=Type.ID)
    if profile == "test":
        # Test suites create hundreds of users: the cheapest argon2id parameters keep them
        # fast.  Verification reads the parameters from each hash, so nothing else changes.
        return PasswordHasher.from_parameters(CHEAPEST)
    raise ValueError(f"{ARGON2_PROFILE_ENV} must be 'default' or 'test', not '{profile}'")


def hasher() -> PasswordHasher:
    """The password hasher; ``FILIFORM_ARGON2_PROFILE=test`` is for test suites only."""
    return _hasher_for(os.environ.get(ARGON2_PROFILE_ENV, ""))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"password must have at least {MIN_PASSWORD} characters")
    return hasher().hash(password)


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
    admin = _new_user(session, clinic.id, admin_username, admin_name, Role.ADMIN, admin_password)
    actor = Actor(user_id=admin.id, clinic_id=clinic.id, role=Role.ADMIN, client=client)
    audit.record(session, actor=actor, action="create", entity="clinic", entity_id=clinic.id, chain=audit.SYSTEM_CHAIN)
    audit.record(session, actor=actor, action="create", entity="user", entity_id=admin.id, detail={"role": "admin"})
    return clinic, admin


def _new_user(session: Session, clinic_id: int, username: str, display_name: str, role: Role, password: str) -> User:
    username = username.strip().lower()
    if not username:
        raise ValidationFailed("username is empty")
    if session.scalar(sa.select(User.id).where(User.username == username)) is not None:
        raise Conflict(f"username '{username}' is taken")
    user = User(
        clinic_id=clinic_id,
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
    user = _new_user(session, actor.clinic_id, username, display_name, role, password)
    audit.record(session, actor=actor, action="create", entity="user", entity_id=user.id, detail={"role": role.value})
    return user


def deactivate_user(session: Session, *, actor: Actor, user_id: int) -> None:
    require(actor, Perm.MANAGE_USERS)
    user = owned(session, User, user_id, actor=actor)
    user.active = False
    audit.record(session, actor=actor, action="deactivate", entity="user", entity_id=user_id)


def authenticate(session: Session, *, username: str, password: str, client: str) -> Actor:
    """Check a password; every attempt, good or bad, is audited."""
    user = session.scalar(sa.select(User).where(User.username == username.strip().lower()))
    ok = False
    if user is not None and user.active:
        try:
            ok = hasher().verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
    if not ok or user is None:
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
    actor = Actor(user_id=user.id, clinic_id=user.clinic_id, role=Role(user.role), client=client)
    audit.record(session, actor=actor, action="login", entity="user", entity_id=user.id)
    return actor
