"""Helpers for the session tests: one migrated SQLite file per module, a clinic per test.

The figures the tests use (15 minutes idle, T0 far from the wall clock) are written out
here once; the tests compare against them, never against ``auth_sessions``' constants.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from filiform.services.access import auth_sessions, users
from filiform.services.access.auth_cookies import token_hash
from filiform.services.access.context import Actor, Role
from filiform.services.access.login_throttle import LoginThrottle
from filiform.services.access.session_cache import current_epoch
from filiform.storage.engine import make_engine, transaction
from filiform.storage.migrate import upgrade
from filiform.storage.models import AuditLog, User
from filiform.storage.models_auth import AuthSession

PASSWORD = "correct horse battery"
T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)  # far from the wall clock: a clock mix-up shows
IDLE = timedelta(minutes=15)
_names = itertools.count(1)


def migrated(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def new_admin(factory: sessionmaker[Session]) -> Actor:
    """The admin of a new clinic (the database is shared by a module)."""
    n = next(_names)
    with transaction(factory) as s:
        clinic, user = users.create_clinic(s, name=f"Clinic {n}", admin_username=f"adm{n}", admin_password=PASSWORD)
        return Actor(user_id=user.id, clinic_id=clinic.id, role=Role.ADMIN, client="t")


def _username(factory: sessionmaker[Session], actor: Actor) -> str:
    with factory() as s:
        user = s.get(User, actor.user_id)
        assert user is not None
        return user.username


def login_at(factory: sessionmaker[Session], actor: Actor, at: datetime = T0, client: str = "t") -> str:
    with transaction(factory) as s:
        result = auth_sessions.login(
            s,
            username=_username(factory, actor),
            password=PASSWORD,
            totp=None,
            client=client,
            throttle=LoginThrottle(),
            now=at,
        )
    assert result.token is not None
    return result.token


def session_row(factory: sessionmaker[Session], token: str) -> AuthSession:
    with factory() as s:
        row = s.scalar(sa.select(AuthSession).where(AuthSession.token_hash == token_hash(token)))
        assert row is not None
        s.expunge(row)
        return row


def utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def epoch(factory: sessionmaker[Session]) -> int:
    return current_epoch(factory.kw["bind"])


def audit_of(factory: sessionmaker[Session], action: str, user_id: int) -> list[tuple[object, ...]]:
    with factory() as s:
        rows = s.scalars(
            sa.select(AuditLog).where(AuditLog.action == action, AuditLog.entity_id == user_id).order_by(AuditLog.id)
        ).all()
        return [(r.chain, r.user_id, r.clinic_id, r.role, r.client, r.entity, r.detail) for r in rows]


def lookup_at(factory: sessionmaker[Session], token: str, at: datetime, **kw: object) -> Actor | None:
    return auth_sessions.lookup(factory, token=token, client="t", now=at, **({"idle": IDLE} | kw))  # type: ignore[arg-type]
