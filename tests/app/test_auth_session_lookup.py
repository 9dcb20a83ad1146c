"""Session lookup reads without the write lock; idle time-out stays exact; argon2 profiles.

These drive ``filiform.services.access.auth_sessions`` against a real SQLite file (the database
where the write lock matters), with a second connection holding the lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher, Type
from argon2.profiles import get_default_parameters
from sqlalchemy.orm import Session, sessionmaker

from filiform.services.access import auth_sessions, users
from filiform.services.access.auth_sessions import TOUCH_EVERY, login, lookup
from filiform.services.access.login_throttle import LoginThrottle
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.migrate import upgrade
from filiform.storage.models import AuditLog
from filiform.storage.models_auth import AuthSession

PASSWORD = "correct horse battery"
IDLE = timedelta(minutes=15)


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(f"sqlite:///{tmp_path / 'auth.db'}")
    upgrade(engine)
    with transaction(session_factory(engine)) as s:
        users.create_clinic(s, name="Auth", admin_username="admin", admin_password=PASSWORD)
    yield session_factory(engine)
    engine.dispose()


def _login(factory: sessionmaker[Session], at: datetime) -> str:
    with transaction(factory) as s:
        result = login(s, username="admin", password=PASSWORD, totp=None, client="t", throttle=LoginThrottle(), now=at)
    assert result.token is not None
    return result.token


def _last_seen(factory: sessionmaker[Session]) -> datetime:
    with factory() as s:
        value = s.scalar(sa.select(AuthSession.last_seen_at))
    assert value is not None
    return value.replace(tzinfo=UTC)


def _while_locked(factory: sessionmaker[Session], call: object) -> object:
    """Run ``call`` in a thread while another connection holds SQLite's write lock."""
    out: list[object] = []
    engine = factory.kw["bind"]
    with engine.connect() as holder:
        holder.exec_driver_sql("INSERT INTO clinic (name, created_at) VALUES ('x', '2026-01-01')")
        worker = threading.Thread(target=lambda: out.append(call()))  # type: ignore[operator]
        worker.start()
        worker.join(5)
        alive = worker.is_alive()
        holder.rollback()
    worker.join()
    assert not alive, "the lookup waited for the write lock"
    return out[0]


def test_recent_session_is_read_without_the_write_lock(factory: sessionmaker[Session]) -> None:
    t0 = datetime.now(UTC)
    token = _login(factory, t0)
    actor = _while_locked(
        factory, lambda: lookup(factory, token=token, client="t", idle=IDLE, now=t0 + TOUCH_EVERY / 2)
    )
    assert actor is not None and actor.client == "t"
    assert _last_seen(factory) == t0  # nothing written
    assert lookup(factory, token=token, client="t", idle=IDLE, now=t0 + TOUCH_EVERY) is not None
    assert _last_seen(factory) == t0 + TOUCH_EVERY  # refreshed once it was due


def test_idle_timeout_is_exact_and_audited(factory: sessionmaker[Session]) -> None:
    t0 = datetime.now(UTC)
    token = _login(factory, t0)
    assert lookup(factory, token=token, client="t", idle=IDLE, now=t0 + IDLE) is not None
    other = _login(factory, t0)
    assert lookup(factory, token=other, client="t", idle=IDLE, now=t0 + IDLE + timedelta(microseconds=1)) is None
    with factory() as s:
        ended = s.scalars(sa.select(AuthSession.ended_reason).where(AuthSession.ended_reason.is_not(None))).all()
        timeouts = s.scalar(sa.select(sa.func.count()).where(AuditLog.action == "session_timeout"))
    assert ended == ["idle"] and timeouts == 1
    assert lookup(factory, token=other, client="t", idle=IDLE, now=t0) is None  # stays ended
    for bad in ("", "x" * 300, "unknown"):
        assert lookup(factory, token=bad, client="t", idle=IDLE) is None


def test_logout_and_deactivation_take_effect_at_once(factory: sessionmaker[Session]) -> None:
    t0 = datetime.now(UTC)
    token = _login(factory, t0)
    with transaction(factory) as s:
        auth_sessions.logout(s, token=token)
    assert lookup(factory, token=token, client="t", idle=IDLE, now=t0) is None
    token = _login(factory, t0)
    with transaction(factory) as s:
        s.execute(sa.text("UPDATE app_user SET active = false"))
    assert lookup(factory, token=token, client="t", idle=IDLE, now=t0) is None


def test_production_password_hashing_is_argon2id_with_owasp_memory(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(users.ARGON2_PROFILE_ENV, raising=False)
    prod = users.hasher()
    assert prod.type is Type.ID
    assert prod.memory_cost >= 19 * 1024 and prod.time_cost >= 2  # OWASP: 19 MiB, t=2, p=1
    assert (prod.memory_cost, prod.time_cost, prod.parallelism) == (
        get_default_parameters().memory_cost,
        get_default_parameters().time_cost,
        get_default_parameters().parallelism,
    )
    stored = prod.hash(PASSWORD)
    assert stored.startswith("$argon2id$") and "m=65536" in stored
    monkeypatch.setenv(users.ARGON2_PROFILE_ENV, "test")
    assert users.hasher().memory_cost < prod.memory_cost
    assert users.hasher().verify(stored, PASSWORD)  # parameters travel with the hash
    assert PasswordHasher().verify(users.hash_password(PASSWORD), PASSWORD)
    monkeypatch.setenv(users.ARGON2_PROFILE_ENV, "fast")
    with pytest.raises(ValueError, match="FILIFORM_ARGON2_PROFILE"):
        users.hasher()
