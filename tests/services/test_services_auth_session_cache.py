"""Session look-up through the per-process cache and the plain read, with an injected clock.

The cache answers only while the revocation epoch is unchanged and no last-seen write is
due (once a minute, or a quarter of the idle time), and never past 12 hours; the figures
are written out here, not read from ``auth_sessions``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from auth_session_world import IDLE, T0, epoch, login_at, lookup_at, migrated, new_admin, session_row, utc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from filiform.services.access import auth_sessions, users
from filiform.services.access.auth_cookies import token_hash
from filiform.services.access.context import Actor, Role
from filiform.services.access.session_cache import Cached, SessionCache
from filiform.storage.engine import session_factory, transaction
from filiform.storage.models_auth import AuthSession


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    built = migrated(tmp_path_factory.mktemp("auth") / "auth.db")
    yield built
    built.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def admin(factory: sessionmaker[Session]) -> Actor:
    return new_admin(factory)


# --- the read path and the cache --------------------------------------------------------------


def test_a_recent_session_is_remembered_with_its_epoch(factory: sessionmaker[Session], admin: Actor) -> None:
    token = login_at(factory, admin)
    cache = SessionCache()
    assert lookup_at(factory, token, T0 + timedelta(seconds=10), cache=cache) is not None
    now_epoch = epoch(factory)
    assert cache.get(token_hash(token)) == Cached(
        user_id=admin.user_id, clinic_id=admin.clinic_id, role="admin", created_at=T0, last_seen_at=T0, epoch=now_epoch
    )
    assert utc(session_row(factory, token).last_seen_at) == T0  # read only
    touched = T0 + timedelta(seconds=70)
    assert lookup_at(factory, token, touched, cache=cache) is not None
    assert utc(session_row(factory, token).last_seen_at) == touched
    assert cache.get(token_hash(token)) == Cached(
        user_id=admin.user_id,
        clinic_id=admin.clinic_id,
        role="admin",
        created_at=T0,
        last_seen_at=touched,
        epoch=now_epoch,
    )


def test_the_cache_answers_until_the_epoch_moves(factory: sessionmaker[Session], admin: Actor) -> None:
    token = login_at(factory, admin)
    cache = SessionCache()
    cookie = f"{token}.csrf-part.mac-part"  # the whole bound cookie value works too
    assert auth_sessions.cached_actor(factory, token=cookie, client="t", idle=IDLE, now=T0, cache=cache) is None
    assert lookup_at(factory, cookie, T0, cache=cache) is not None
    expected = Actor(user_id=admin.user_id, clinic_id=admin.clinic_id, role=Role.ADMIN, client="t")
    assert auth_sessions.cached_actor(factory, token=cookie, client="t", idle=IDLE, now=T0, cache=cache) == expected
    # ended behind the application's back (no epoch bump): the cache still answers ...
    with transaction(factory) as s:
        s.execute(sa.update(AuthSession).where(AuthSession.token_hash == token_hash(token)).values(ended_at=T0))
    assert lookup_at(factory, token, T0 + timedelta(seconds=5), cache=cache) == expected
    # ... until any revocation moves the epoch: then the database is read again
    with transaction(factory) as s:
        users.bump_epoch(s)
    assert auth_sessions.cached_actor(factory, token=token, client="t", idle=IDLE, now=T0, cache=cache) is None
    assert lookup_at(factory, token, T0 + timedelta(seconds=5), cache=cache) is None
    assert cache.get(token_hash(token)) is None


def test_the_cache_never_answers_past_a_touch_or_the_lifetime(factory: sessionmaker[Session], admin: Actor) -> None:
    token = login_at(factory, admin)
    cache = SessionCache()
    assert lookup_at(factory, token, T0, cache=cache) is not None

    def cached(at: datetime, idle: timedelta = IDLE) -> Actor | None:
        return auth_sessions.cached_actor(factory, token=token, client="t", idle=idle, now=at, cache=cache)

    assert cached(T0 + timedelta(seconds=59, microseconds=999_999)) is not None
    assert cached(T0 + timedelta(seconds=60)) is None
    two = timedelta(minutes=2)
    assert cached(T0 + timedelta(seconds=29, microseconds=999_999), two) is not None
    assert cached(T0 + timedelta(seconds=30), two) is None
    day = timedelta(hours=24)
    nearly = T0 + timedelta(hours=12) - timedelta(seconds=30)
    assert lookup_at(factory, token, nearly, idle=day, cache=cache) is not None  # touched and remembered
    assert cached(T0 + timedelta(hours=12), day) is not None
    assert cached(T0 + timedelta(hours=12, microseconds=1), day) is None


def test_the_idle_time_comes_from_the_environment_for_the_cache_too(
    factory: sessionmaker[Session], admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = login_at(factory, admin)
    cache = SessionCache()
    assert lookup_at(factory, token, T0, cache=cache) is not None
    monkeypatch.setenv("FILIFORM_IDLE_MINUTES", "1")  # touch due after 15 s
    at = T0 + timedelta(seconds=15)
    assert auth_sessions.cached_actor(factory, token=token, client="t", now=at, cache=cache) is None
    monkeypatch.setenv("FILIFORM_IDLE_MINUTES", "60")
    assert auth_sessions.cached_actor(factory, token=token, client="t", now=at, cache=cache) is not None


@pytest.mark.parametrize("bad", ["", ".csrf.mac", "x" * 201, "unknown-token"])
def test_malformed_or_unknown_tokens_find_no_session(factory: sessionmaker[Session], bad: str) -> None:
    cache = SessionCache()
    assert auth_sessions.lookup(factory, token=bad, client="t", idle=IDLE, now=T0, cache=cache) is None
    assert auth_sessions.cached_actor(factory, token=bad, client="t", idle=IDLE, now=T0, cache=cache) is None
    with transaction(factory) as s:
        assert auth_sessions.actor_for(s, token=bad, client="t", idle=IDLE, now=T0) is None


def test_a_token_of_200_characters_is_looked_up_and_201_is_not(factory: sessionmaker[Session], admin: Actor) -> None:
    long_ok, too_long = "k" * 200, "m" * 201
    with transaction(factory) as s:
        for token in (long_ok, too_long):
            s.add(
                AuthSession(
                    token_hash=token_hash(token),
                    user_id=admin.user_id,
                    clinic_id=admin.clinic_id,
                    client="t",
                    created_at=T0,
                    last_seen_at=T0,
                )
            )
    cache = SessionCache()
    assert lookup_at(factory, long_ok, T0, cache=cache) is not None
    assert auth_sessions.cached_actor(factory, token=long_ok, client="t", idle=IDLE, now=T0, cache=cache) is not None
    assert lookup_at(factory, too_long, T0, cache=cache) is None
    with transaction(factory) as s:
        assert auth_sessions.actor_for(s, token=long_ok, client="t", idle=IDLE, now=T0) is not None
        assert auth_sessions.actor_for(s, token=too_long, client="t", idle=IDLE, now=T0) is None


def test_a_session_ended_on_the_write_path_leaves_the_cache(factory: sessionmaker[Session], admin: Actor) -> None:
    token = login_at(factory, admin)
    cache = SessionCache()
    assert lookup_at(factory, token, T0, cache=cache) is not None
    assert cache.get(token_hash(token)) is not None
    assert lookup_at(factory, token, T0 + IDLE + timedelta(microseconds=1), cache=cache) is None
    assert session_row(factory, token).ended_reason == "idle"
    assert cache.get(token_hash(token)) is None
