"""Server-side sessions to the second: idle time-out, lifetime, touches, log-off, revocation
and the per-process cache, with an injected clock.

The figures (15 minutes idle by default, 12 hours at most, a last-seen write at most once a
minute or a quarter of the idle time, 80 characters of client address, 20 of end reason)
are written out from ``auth_sessions``' documentation, not read from its constants.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from filiform.errors import ValidationFailed
from filiform.services.access import auth_sessions, users
from filiform.services.access.auth_cookies import token_hash
from filiform.services.access.context import Actor, Role
from filiform.services.access.login_throttle import LoginThrottle
from filiform.services.access.session_cache import Cached, SessionCache, current_epoch
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.migrate import upgrade
from filiform.storage.models import AuditLog, User
from filiform.storage.models_auth import AuthSession

PASSWORD = "correct horse battery"
T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)  # far from the wall clock: a clock mix-up shows
IDLE = timedelta(minutes=15)
_names = itertools.count(1)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("auth") / "auth.db"
    built = make_engine(f"sqlite:///{path}")
    upgrade(built)
    yield built
    built.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def admin(factory: sessionmaker[Session]) -> Actor:
    """A clinic of its own per test (the database is shared by the module)."""
    n = next(_names)
    with transaction(factory) as s:
        clinic, user = users.create_clinic(s, name=f"Clinic {n}", admin_username=f"adm{n}", admin_password=PASSWORD)
        return Actor(user_id=user.id, clinic_id=clinic.id, role=Role.ADMIN, client="t")


def _username(factory: sessionmaker[Session], actor: Actor) -> str:
    with factory() as s:
        user = s.get(User, actor.user_id)
        assert user is not None
        return user.username


def _login(factory: sessionmaker[Session], actor: Actor, at: datetime = T0, client: str = "t") -> str:
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


def _row(factory: sessionmaker[Session], token: str) -> AuthSession:
    with factory() as s:
        row = s.scalar(sa.select(AuthSession).where(AuthSession.token_hash == token_hash(token)))
        assert row is not None
        s.expunge(row)
        return row


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def _epoch(factory: sessionmaker[Session]) -> int:
    return current_epoch(factory.kw["bind"])


def _audit(factory: sessionmaker[Session], action: str, user_id: int) -> list[tuple[object, ...]]:
    with factory() as s:
        rows = s.scalars(
            sa.select(AuditLog).where(AuditLog.action == action, AuditLog.entity_id == user_id).order_by(AuditLog.id)
        ).all()
        return [(r.chain, r.user_id, r.clinic_id, r.role, r.client, r.entity, r.detail) for r in rows]


def _lookup(factory: sessionmaker[Session], token: str, at: datetime, **kw: object) -> Actor | None:
    return auth_sessions.lookup(factory, token=token, client="t", now=at, **({"idle": IDLE} | kw))  # type: ignore[arg-type]


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
    token = _login(factory, admin)
    assert auth_sessions.lookup(factory, token=token, client="t", now=T0 + timedelta(minutes=2)) is not None
    later = T0 + timedelta(minutes=4, microseconds=1)
    assert auth_sessions.lookup(factory, token=token, client="t", now=later) is None
    assert _row(factory, token).ended_reason == "idle"


# --- ending a session -----------------------------------------------------------------------


def test_a_session_ends_one_microsecond_after_the_idle_time_audited_with_its_reason(
    factory: sessionmaker[Session], admin: Actor
) -> None:
    token = _login(factory, admin)
    before = _epoch(factory)
    with transaction(factory) as s:
        assert auth_sessions.actor_for(s, token=token, client="t", idle=IDLE, now=T0 + IDLE) is not None
    assert _row(factory, token).ended_at is None and _epoch(factory) == before
    end = T0 + IDLE + timedelta(seconds=1)  # the touch at T0 + 15 min moved last-seen on
    ended = T0 + IDLE + IDLE + timedelta(microseconds=1)
    with transaction(factory) as s:
        assert auth_sessions.actor_for(s, token=token, client="t", idle=IDLE, now=end) is not None
        assert auth_sessions.actor_for(s, token=token, client="t", idle=IDLE, now=ended) is None
    row = _row(factory, token)
    assert (row.ended_reason, _utc(row.ended_at)) == ("idle", ended)
    assert _epoch(factory) == before + 1
    assert _audit(factory, "session_timeout", admin.user_id) == [
        (admin.clinic_id, None, None, None, None, "user", '{"reason":"idle"}')
    ]
    with transaction(factory) as s:  # an ended session stays ended
        assert auth_sessions.actor_for(s, token=token, client="t", idle=IDLE, now=T0) is None
    assert _epoch(factory) == before + 1


def test_a_session_lives_twelve_hours_at_most(factory: sessionmaker[Session], admin: Actor) -> None:
    token = _login(factory, admin)
    day = timedelta(hours=24)
    with transaction(factory) as s:
        assert auth_sessions.actor_for(s, token=token, client="t", idle=day, now=T0 + timedelta(hours=12)) is not None
        late = T0 + timedelta(hours=12, microseconds=1)
        assert auth_sessions.actor_for(s, token=token, client="t", idle=day, now=late) is None
    assert _row(factory, token).ended_reason == "lifetime"
    assert [a[-1] for a in _audit(factory, "session_timeout", admin.user_id)] == ['{"reason":"lifetime"}']


def test_deactivation_comes_first_then_idle_then_lifetime(factory: sessionmaker[Session], admin: Actor) -> None:
    idle_and_old = _login(factory, admin)
    with transaction(factory) as s:
        assert (
            auth_sessions.actor_for(s, token=idle_and_old, client="t", idle=IDLE, now=T0 + timedelta(hours=13)) is None
        )
    assert _row(factory, idle_and_old).ended_reason == "idle"
    token = _login(factory, admin)
    with transaction(factory) as s:
        s.execute(sa.update(User).where(User.id == admin.user_id).values(active=False))
    with transaction(factory) as s:  # not idle at all, but the user is gone
        assert auth_sessions.actor_for(s, token=token, client="t", idle=IDLE, now=T0) is None
    assert _row(factory, token).ended_reason == "deactivated"


def test_last_seen_is_written_once_a_minute_or_a_quarter_of_the_idle_time(
    factory: sessionmaker[Session], admin: Actor
) -> None:
    token = _login(factory, admin)
    with transaction(factory) as s:
        auth_sessions.actor_for(
            s, token=token, client="t", idle=IDLE, now=T0 + timedelta(seconds=59, microseconds=999_999)
        )
    assert _utc(_row(factory, token).last_seen_at) == T0
    with transaction(factory) as s:
        auth_sessions.actor_for(s, token=token, client="t", idle=IDLE, now=T0 + timedelta(seconds=60))
    assert _utc(_row(factory, token).last_seen_at) == T0 + timedelta(seconds=60)
    short = _login(factory, admin)
    two = timedelta(minutes=2)
    with transaction(factory) as s:
        auth_sessions.actor_for(s, token=short, client="t", idle=two, now=T0 + timedelta(seconds=29))
    assert _utc(_row(factory, short).last_seen_at) == T0
    with transaction(factory) as s:
        auth_sessions.actor_for(s, token=short, client="t", idle=two, now=T0 + timedelta(seconds=30))
    assert _utc(_row(factory, short).last_seen_at) == T0 + timedelta(seconds=30)


def test_the_actor_is_the_user_with_the_request_address_cut_to_80(factory: sessionmaker[Session], admin: Actor) -> None:
    token = _login(factory, admin)
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
    token = _login(factory, admin, client="10.1.2.3")
    other = _login(factory, admin)
    assert _lookup(factory, token, T0, cache=auth_sessions.CACHE) is not None
    assert auth_sessions.CACHE.get(token_hash(token)) is not None
    before = _epoch(factory)
    wall = datetime.now(UTC)
    with transaction(factory) as s:
        auth_sessions.logout(s, token=token)
    row = _row(factory, token)
    assert row.ended_reason == "logout"
    ended = _utc(row.ended_at)
    assert ended is not None and abs((ended - wall).total_seconds()) < 60
    assert _epoch(factory) == before + 1
    assert auth_sessions.CACHE.get(token_hash(token)) is None
    assert _audit(factory, "logout", admin.user_id) == [
        (admin.clinic_id, admin.user_id, admin.clinic_id, "admin", "10.1.2.3", "user", "{}")
    ]
    assert _lookup(factory, token, T0) is None
    assert _lookup(factory, other, T0) is not None  # the other session lives on
    with transaction(factory) as s:  # again, or an unknown token: nothing happens
        auth_sessions.logout(s, token=token)
        auth_sessions.logout(s, token="no-such-token")
    assert _epoch(factory) == before + 1
    assert len(_audit(factory, "logout", admin.user_id)) == 1


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
    theirs = _login(factory, colleague)
    tokens = [_login(factory, admin) for _ in range(3)]
    for token in tokens:
        assert _lookup(factory, token, T0, cache=auth_sessions.CACHE) is not None
    before = _epoch(factory)
    with transaction(factory) as s:
        n = auth_sessions.end_sessions(
            s, user_id=admin.user_id, reason="password changed by the admin", keep=token_hash(tokens[0])
        )
    assert n == 2
    assert [_row(factory, t).ended_reason for t in tokens] == [None, "password changed by ", "password changed by "]
    ended = _utc(_row(factory, tokens[1]).ended_at)
    assert ended is not None and abs((ended - datetime.now(UTC)).total_seconds()) < 60
    assert _row(factory, theirs).ended_at is None  # another user's session is not touched
    assert _lookup(factory, theirs, T0) is not None
    assert _epoch(factory) == before + 1
    assert [auth_sessions.CACHE.get(token_hash(t)) is None for t in tokens] == [False, True, True]
    with transaction(factory) as s:
        assert auth_sessions.end_sessions(s, user_id=admin.user_id, reason="reset") == 1
    assert _row(factory, tokens[0]).ended_reason == "reset"
    assert _epoch(factory) == before + 2


# --- the read path and the cache --------------------------------------------------------------


def test_a_recent_session_is_remembered_with_its_epoch(factory: sessionmaker[Session], admin: Actor) -> None:
    token = _login(factory, admin)
    cache = SessionCache()
    assert _lookup(factory, token, T0 + timedelta(seconds=10), cache=cache) is not None
    epoch = _epoch(factory)
    assert cache.get(token_hash(token)) == Cached(
        user_id=admin.user_id, clinic_id=admin.clinic_id, role="admin", created_at=T0, last_seen_at=T0, epoch=epoch
    )
    assert _utc(_row(factory, token).last_seen_at) == T0  # read only
    touched = T0 + timedelta(seconds=70)
    assert _lookup(factory, token, touched, cache=cache) is not None
    assert _utc(_row(factory, token).last_seen_at) == touched
    assert cache.get(token_hash(token)) == Cached(
        user_id=admin.user_id, clinic_id=admin.clinic_id, role="admin", created_at=T0, last_seen_at=touched, epoch=epoch
    )


def test_the_cache_answers_until_the_epoch_moves(factory: sessionmaker[Session], admin: Actor) -> None:
    token = _login(factory, admin)
    cache = SessionCache()
    cookie = f"{token}.csrf-part.mac-part"  # the whole bound cookie value works too
    assert auth_sessions.cached_actor(factory, token=cookie, client="t", idle=IDLE, now=T0, cache=cache) is None
    assert _lookup(factory, cookie, T0, cache=cache) is not None
    expected = Actor(user_id=admin.user_id, clinic_id=admin.clinic_id, role=Role.ADMIN, client="t")
    assert auth_sessions.cached_actor(factory, token=cookie, client="t", idle=IDLE, now=T0, cache=cache) == expected
    # ended behind the application's back (no epoch bump): the cache still answers ...
    with transaction(factory) as s:
        s.execute(sa.update(AuthSession).where(AuthSession.token_hash == token_hash(token)).values(ended_at=T0))
    assert _lookup(factory, token, T0 + timedelta(seconds=5), cache=cache) == expected
    # ... until any revocation moves the epoch: then the database is read again
    with transaction(factory) as s:
        users.bump_epoch(s)
    assert auth_sessions.cached_actor(factory, token=token, client="t", idle=IDLE, now=T0, cache=cache) is None
    assert _lookup(factory, token, T0 + timedelta(seconds=5), cache=cache) is None
    assert cache.get(token_hash(token)) is None


def test_the_cache_never_answers_past_a_touch_or_the_lifetime(factory: sessionmaker[Session], admin: Actor) -> None:
    token = _login(factory, admin)
    cache = SessionCache()
    assert _lookup(factory, token, T0, cache=cache) is not None

    def cached(at: datetime, idle: timedelta = IDLE) -> Actor | None:
        return auth_sessions.cached_actor(factory, token=token, client="t", idle=idle, now=at, cache=cache)

    assert cached(T0 + timedelta(seconds=59, microseconds=999_999)) is not None
    assert cached(T0 + timedelta(seconds=60)) is None
    two = timedelta(minutes=2)
    assert cached(T0 + timedelta(seconds=29, microseconds=999_999), two) is not None
    assert cached(T0 + timedelta(seconds=30), two) is None
    day = timedelta(hours=24)
    nearly = T0 + timedelta(hours=12) - timedelta(seconds=30)
    assert _lookup(factory, token, nearly, idle=day, cache=cache) is not None  # touched and remembered
    assert cached(T0 + timedelta(hours=12), day) is not None
    assert cached(T0 + timedelta(hours=12, microseconds=1), day) is None


def test_the_idle_time_comes_from_the_environment_for_the_cache_too(
    factory: sessionmaker[Session], admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _login(factory, admin)
    cache = SessionCache()
    assert _lookup(factory, token, T0, cache=cache) is not None
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
    assert _lookup(factory, long_ok, T0, cache=cache) is not None
    assert auth_sessions.cached_actor(factory, token=long_ok, client="t", idle=IDLE, now=T0, cache=cache) is not None
    assert _lookup(factory, too_long, T0, cache=cache) is None
    with transaction(factory) as s:
        assert auth_sessions.actor_for(s, token=long_ok, client="t", idle=IDLE, now=T0) is not None
        assert auth_sessions.actor_for(s, token=too_long, client="t", idle=IDLE, now=T0) is None
