"""Server-side sessions to the second: idle time-out, lifetime, touches, log-off, revocation.

The figures (15 minutes idle by default, 12 hours at most, a last-seen write at most once a
minute or a quarter of the idle time, 80 characters of client address, 20 of end reason)
are written out from ``auth_sessions``' documentation, not read from its constants.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from auth_session_world import (
    IDLE,
    PASSWORD,
    T0,
    audit_of,
    epoch,
    login_at,
    lookup_at,
    migrated,
    new_admin,
    session_row,
    utc,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from filiform.errors import ValidationFailed
from filiform.services.access import auth_sessions, users
from filiform.services.access.auth_cookies import token_hash
from filiform.services.access.context import Actor, Role
from filiform.services.access.session_cache import SessionCache
from filiform.storage.engine import session_factory, transaction
from filiform.storage.models import User


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


# --- the configured idle time -------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, expected",
    [
        (None, timedelta(minutes=15)),
        ("", timedelta(minutes=15)),
        ("30", timedelta(minutes=30)),
        ("0.5", timedelta(seconds=30)),
        ("1440", timedelta(days=1)),
    ],
)
def test_idle_minutes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, raw: str | None, expected: timedelta
) -> None:
    if raw is None:
        monkeypatch.delenv("FILIFORM_IDLE_MINUTES", raising=False)
    else:
        monkeypatch.setenv("FILIFORM_IDLE_MINUTES", raw)
    assert auth_sessions.idle_timeout() == expected


@pytest.mark.parametrize(
    "raw, message",
    [("soon", "FILIFORM_IDLE_MINUTES must be a number of minutes, not 'soon'")]
    + [(v, "FILIFORM_IDLE_MINUTES must be between 0 and 1440 minutes") for v in ("0", "-3", "1440.5")],
)
def test_a_bad_idle_setting_is_refused_with_its_reason(monkeypatch: pytest.MonkeyPatch, raw: str, message: str) -> None:
    monkeypatch.setenv("FILIFORM_IDLE_MINUTES", raw)
    with pytest.raises(ValidationFailed) as err:
        auth_sessions.idle_timeout()
    assert err.value.message == message


def test_the_environment_idle_time_applies_when_none_is_given(
    factory: sessionmaker[Session], admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FILIFORM_IDLE_MINUTES", "2")
    token = login_at(factory, admin)
    assert auth_sessions.lookup(factory, token=token, client="t", now=T0 + timedelta(minutes=2)) is not None
    later = T0 + timedelta(minutes=4, microseconds=1)
    assert auth_sessions.lookup(factory, token=token, client="t", now=later) is None
    assert session_row(factory, token).ended_reason == "idle"


# --- ending a session -----------------------------------------------------------------------


def test_a_session_ends_one_microsecond_after_the_idle_time_audited_with_its_reason(
    factory: sessionmaker[Session], admin: Actor
) -> None:
    token = login_at(factory, admin)
    before = epoch(factory)
    with transaction(factory) as s:
        assert auth_sessions.actor_for(s, token=token, client="t", idle=IDLE, now=T0 + IDLE) is not None
    assert session_row(factory, token).ended_at is None and epoch(factory) == before
    end = T0 + IDLE + timedelta(seconds=1)  # the touch at T0 + 15 min moved last-seen on
    ended = T0 + IDLE + IDLE + timedelta(microseconds=1)
    with transaction(factory) as s:
        assert auth_sessions.actor_for(s, token=token, client="t", idle=IDLE, now=end) is not None
        assert auth_sessions.actor_for(s, token=token, client="t", idle=IDLE, now=ended) is None
    row = session_row(factory, token)
    assert (row.ended_reason, utc(row.ended_at)) == ("idle", ended)
    assert epoch(factory) == before + 1
    assert audit_of(factory, "session_timeout", admin.user_id) == [
        (admin.clinic_id, None, None, None, None, "user", '{"reason":"idle"}')
    ]
    with transaction(factory) as s:  # an ended session stays ended
        assert auth_sessions.actor_for(s, token=token, client="t", idle=IDLE, now=T0) is None
    assert epoch(factory) == before + 1


def test_a_session_lives_twelve_hours_at_most(factory: sessionmaker[Session], admin: Actor) -> None:
    token = login_at(factory, admin)
    day = timedelta(hours=24)
    with transaction(factory) as s:
        assert auth_sessions.actor_for(s, token=token, client="t", idle=day, now=T0 + timedelta(hours=12)) is not None
        late = T0 + timedelta(hours=12, microseconds=1)
        assert auth_sessions.actor_for(s, token=token, client="t", idle=day, now=late) is None
    assert session_row(factory, token).ended_reason == "lifetime"
    assert [a[-1] for a in audit_of(factory, "session_timeout", admin.user_id)] == ['{"reason":"lifetime"}']


def test_deactivation_comes_first_then_idle_then_lifetime(factory: sessionmaker[Session], admin: Actor) -> None:
    idle_and_old = login_at(factory, admin)
    with transaction(factory) as s:
        assert (
            auth_sessions.actor_for(s, token=idle_and_old, client="t", idle=IDLE, now=T0 + timedelta(hours=13)) is None
        )
    assert session_row(factory, idle_and_old).ended_reason == "idle"
    token = login_at(factory, admin)
    with transaction(factory) as s:
        s.execute(sa.update(User).where(User.id == admin.user_id).values(active=False))
    with transaction(factory) as s:  # not idle at all, but the user is gone
        assert auth_sessions.actor_for(s, token=token, client="t", idle=IDLE, now=T0) is None
    assert session_row(factory, token).ended_reason == "deactivated"


def test_last_seen_is_written_once_a_minute_or_a_quarter_of_the_idle_time(
    factory: sessionmaker[Session], admin: Actor
) -> None:
    token = login_at(factory, admin)
    with transaction(factory) as s:
        auth_sessions.actor_for(
            s, token=token, client="t", idle=IDLE, now=T0 + timedelta(seconds=59, microseconds=999_999)
        )
    assert utc(session_row(factory, token).last_seen_at) == T0
    with transaction(factory) as s:
        auth_sessions.actor_for(s, token=token, client="t", idle=IDLE, now=T0 + timedelta(seconds=60))
    assert utc(session_row(factory, token).last_seen_at) == T0 + timedelta(seconds=60)
    short = login_at(factory, admin)
    two = timedelta(minutes=2)
    with transaction(factory) as s:
        auth_sessions.actor_for(s, token=short, client="t", idle=two, now=T0 + timedelta(seconds=29))
    assert utc(session_row(factory, short).last_seen_at) == T0
    with transaction(factory) as s:
        auth_sessions.actor_for(s, token=short, client="t", idle=two, now=T0 + timedelta(seconds=30))
    assert utc(session_row(factory, short).last_seen_at) == T0 + timedelta(seconds=30)


def test_the_actor_is_the_user_with_the_request_address_cut_to_80(factory: sessionmaker[Session], admin: Actor) -> None:
    token = login_at(factory, admin)
    address = "a" * 100
    expected = Actor(user_id=admin.user_id, clinic_id=admin.clinic_id, role=Role.ADMIN, client="a" * 80)
    with transaction(factory) as s:
        assert auth_sessions.actor_for(s, token=token, client=address, idle=IDLE, now=T0) == expected
    cache = SessionCache()
    assert auth_sessions.lookup(factory, token=token, client=address, idle=IDLE, now=T0, cache=cache) == expected
    assert auth_sessions.lookup(factory, token=token, client=address, idle=IDLE, now=T0, cache=cache) == expected
    found = auth_sessions.cached_actor(factory, token=token, client=address, idle=IDLE, now=T0, cache=cache)
    assert found == expected
    touched = T0 + timedelta(minutes=5)
    assert auth_sessions.lookup(factory, token=token, client=address, idle=IDLE, now=touched, cache=cache) == expected


def test_logout_ends_the_session_bumps_the_epoch_and_is_audited(
    factory: sessionmaker[Session], admin: Actor, far_zone: None
) -> None:
    token = login_at(factory, admin, client="10.1.2.3")
    other = login_at(factory, admin)
    assert lookup_at(factory, token, T0, cache=auth_sessions.CACHE) is not None
    assert auth_sessions.CACHE.get(token_hash(token)) is not None
    before = epoch(factory)
    wall = datetime.now(UTC)
    with transaction(factory) as s:
        auth_sessions.logout(s, token=token)
    row = session_row(factory, token)
    assert row.ended_reason == "logout"
    ended = utc(row.ended_at)
    assert ended is not None and abs((ended - wall).total_seconds()) < 60
    assert epoch(factory) == before + 1
    assert auth_sessions.CACHE.get(token_hash(token)) is None
    assert audit_of(factory, "logout", admin.user_id) == [
        (admin.clinic_id, admin.user_id, admin.clinic_id, "admin", "10.1.2.3", "user", "{}")
    ]
    assert lookup_at(factory, token, T0) is None
    assert lookup_at(factory, other, T0) is not None  # the other session lives on
    with transaction(factory) as s:  # again, or an unknown token: nothing happens
        auth_sessions.logout(s, token=token)
        auth_sessions.logout(s, token="no-such-token")
    assert epoch(factory) == before + 1
    assert len(audit_of(factory, "logout", admin.user_id)) == 1


def test_end_sessions_ends_all_but_the_kept_one(factory: sessionmaker[Session], admin: Actor, far_zone: None) -> None:
    with transaction(factory) as s:
        user = users.create_user(
            s,
            actor=admin,
            username=f"colleague{admin.user_id}",
            display_name="C",
            role=Role.CLINICIAN,
            password=PASSWORD,
        )
        colleague = Actor(user_id=user.id, clinic_id=admin.clinic_id, role=Role.CLINICIAN, client="t")
    theirs = login_at(factory, colleague)
    tokens = [login_at(factory, admin) for _ in range(3)]
    for token in tokens:
        assert lookup_at(factory, token, T0, cache=auth_sessions.CACHE) is not None
    before = epoch(factory)
    with transaction(factory) as s:
        n = auth_sessions.end_sessions(
            s, user_id=admin.user_id, reason="password changed by the admin", keep=token_hash(tokens[0])
        )
    assert n == 2
    assert [session_row(factory, t).ended_reason for t in tokens] == [
        None,
        "password changed by ",
        "password changed by ",
    ]
    ended = utc(session_row(factory, tokens[1]).ended_at)
    assert ended is not None and abs((ended - datetime.now(UTC)).total_seconds()) < 60
    assert session_row(factory, theirs).ended_at is None  # another user's session is not touched
    assert lookup_at(factory, theirs, T0) is not None
    assert epoch(factory) == before + 1
    assert [auth_sessions.CACHE.get(token_hash(t)) is None for t in tokens] == [False, True, True]
    with transaction(factory) as s:
        assert auth_sessions.end_sessions(s, user_id=admin.user_id, reason="reset") == 1
    assert session_row(factory, tokens[0]).ended_reason == "reset"
    assert epoch(factory) == before + 2


def test_without_a_given_time_the_wall_clock_decides_and_the_cache_forgets(
    factory: sessionmaker[Session], admin: Actor
) -> None:
    fresh = login_at(factory, admin, at=datetime.now(UTC))
    with transaction(factory) as s:
        assert auth_sessions.actor_for(s, token=fresh, client="t", idle=IDLE) is not None
    old = login_at(factory, admin)  # at T0, months before the wall clock
    assert lookup_at(factory, old, T0, cache=auth_sessions.CACHE) is not None
    assert auth_sessions.CACHE.get(token_hash(old)) is not None
    with transaction(factory) as s:
        assert auth_sessions.actor_for(s, token=old, client="t", idle=IDLE) is None
    assert session_row(factory, old).ended_reason == "idle"
    assert auth_sessions.CACHE.get(token_hash(old)) is None
