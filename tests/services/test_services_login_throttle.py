"""Login throttling, to the second: thresholds, back-off doubling, caps, the window, reset.

Every figure below is written out from the policy in ``login_throttle``'s docstring
(5 failures per username, 20 per address, 1 s doubling, caps 900 s and 60 s, a 15-minute
window), with the clock injected; none is computed by the throttle itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from filiform.services.access.login_throttle import LoginThrottle
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.migrate import upgrade
from filiform.storage.models import AuthThrottle
from filiform.storage.pgcluster import TempCluster

T = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
DEFAULT = LoginThrottle()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    """One migrated database per module and backend (the counters are the only state)."""
    name = ""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('throttle') / 'throttle.db'}"
    else:
        cluster: TempCluster = request.getfixturevalue("pg_cluster")
        name = f"t_{uuid.uuid4().hex[:12]}"
        url = cluster.create_database(name)
    engine = make_engine(url)
    upgrade(engine)
    yield session_factory(engine)
    engine.dispose()
    if name:
        cluster.drop_database(name)


@pytest.fixture
def factory(shared: sessionmaker[Session]) -> sessionmaker[Session]:
    with transaction(shared) as s:
        s.execute(sa.delete(AuthThrottle))
    return shared


def _fail(factory: sessionmaker[Session], username: str, client: str, at: datetime, *, times: int = 1) -> None:
    for _ in range(times):
        with transaction(factory) as s:
            DEFAULT.failed(s, username, client, at)


def _wait(
    factory: sessionmaker[Session], username: str, client: str, at: datetime, t: LoginThrottle = DEFAULT
) -> float:
    with factory() as s:
        return t.retry_after(s, username, client, at)


def _counts(factory: sessionmaker[Session]) -> dict[str, tuple[int, datetime]]:
    with factory() as s:
        rows = s.scalars(sa.select(AuthThrottle)).all()
        return {r.key: (r.failures, r.last_failure_at.replace(tzinfo=UTC)) for r in rows}


def test_back_off_doubles_from_the_threshold_up_to_each_cap() -> None:
    # below the threshold nothing; from it on 1, 2, 4, 8 ... seconds
    assert [DEFAULT.delay(n, 5, 900.0) for n in range(8)] == [0.0] * 5 + [1.0, 2.0, 4.0]
    assert DEFAULT.delay(14, 5, 900.0) == 512.0
    assert DEFAULT.delay(15, 5, 900.0) == 900.0  # 1024 capped
    assert DEFAULT.delay(10_000, 5, 900.0) == 900.0
    assert DEFAULT.delay(26, 20, 60.0) == 60.0  # 64 capped at the address cap
    assert DEFAULT.delay(25, 20, 60.0) == 32.0
    assert LoginThrottle(base_s=0.5).delay(3, 2, 900.0) == 1.0
    # the exponent is bounded at 40 (no overflow for an absurd count)
    assert DEFAULT.delay(10**9, 0, float("inf")) == 2.0**40
    assert DEFAULT.delay(40, 0, float("inf")) == 2.0**40


def test_counts_are_kept_per_normalised_username_and_per_address(factory: sessionmaker[Session]) -> None:
    _fail(factory, "  Alice ", "10.0.0.1", T)
    _fail(factory, "ALICE", "10.0.0.2", T + timedelta(seconds=3))
    assert _counts(factory) == {
        "u:alice": (2, T + timedelta(seconds=3)),
        "a:10.0.0.1": (1, T),
        "a:10.0.0.2": (1, T + timedelta(seconds=3)),
    }


def test_long_usernames_and_addresses_are_cut_to_200_and_80_characters(factory: sessionmaker[Session]) -> None:
    _fail(factory, "b" * 250, "c" * 100, T)
    assert set(_counts(factory)) == {"u:" + "b" * 200, "a:" + "c" * 80}
    # a name that differs only after character 200 shares the count
    assert _wait(factory, "b" * 200 + "x", "elsewhere", T) == 0.0
    _fail(factory, "b" * 200 + "x", "elsewhere", T, times=4)
    assert _wait(factory, "b" * 201, "elsewhere", T) == 1.0


def test_the_fifth_failure_of_a_username_costs_one_second(factory: sessionmaker[Session]) -> None:
    _fail(factory, "alice", "10.0.0.1", T, times=4)
    assert _wait(factory, "alice", "10.0.0.1", T) == 0.0
    _fail(factory, "alice", "10.0.0.1", T)
    assert _wait(factory, "alice", "10.0.0.1", T) == 1.0
    assert _wait(factory, "alice", "10.0.0.1", T + timedelta(seconds=0.25)) == 0.75
    assert _wait(factory, "Alice", "192.168.1.9", T + timedelta(seconds=0.5)) == 0.5  # any address
    assert _wait(factory, "alice", "10.0.0.1", T + timedelta(seconds=1)) == 0.0
    assert _wait(factory, "bob", "10.0.0.1", T) == 0.0  # the address has 5 of its 20
    _fail(factory, "alice", "10.0.0.1", T)
    assert _wait(factory, "alice", "10.0.0.1", T + timedelta(seconds=0.5)) == 1.5


def test_an_address_is_slowed_after_twenty_failures_and_capped_at_a_minute(factory: sessionmaker[Session]) -> None:
    for n in range(19):
        _fail(factory, f"guess{n}", "10.9.9.9", T)
    assert _wait(factory, "someone", "10.9.9.9", T) == 0.0
    _fail(factory, "guess19", "10.9.9.9", T)
    assert _wait(factory, "someone", "10.9.9.9", T) == 1.0
    for n in range(20, 40):
        _fail(factory, f"guess{n}", "10.9.9.9", T)
    assert _counts(factory)["a:10.9.9.9"][0] == 40
    assert _wait(factory, "someone", "10.9.9.9", T + timedelta(seconds=10)) == 50.0  # cap 60, not 2**20
    assert _wait(factory, "someone", "10.1.1.1", T) == 0.0


def test_the_longer_of_the_two_waits_applies(factory: sessionmaker[Session]) -> None:
    _fail(factory, "carol", "10.0.0.7", T, times=8)  # username: 2**3 = 8 s
    for n in range(20):
        _fail(factory, f"x{n}", "10.0.0.8", T)  # that address: 1 s
    assert _wait(factory, "carol", "10.0.0.8", T + timedelta(seconds=2)) == 6.0
    for n in range(20, 25):
        _fail(factory, f"x{n}", "10.0.0.8", T)  # the address now waits 32 s
    assert _wait(factory, "carol", "10.0.0.8", T + timedelta(seconds=2)) == 30.0
    assert _wait(factory, "dave", "10.0.0.8", T + timedelta(seconds=2)) == 30.0


def test_a_username_waits_up_to_fifteen_minutes(factory: sessionmaker[Session]) -> None:
    _fail(factory, "erin", "10.0.0.1", T, times=30)
    assert _wait(factory, "erin", "10.0.0.2", T) == 900.0
    assert _wait(factory, "erin", "10.0.0.2", T + timedelta(seconds=899)) == 1.0


def test_a_count_is_forgotten_only_after_the_window(factory: sessionmaker[Session]) -> None:
    short = LoginThrottle(window_s=10.0)
    with transaction(factory) as s:
        for _ in range(10):
            short.failed(s, "frank", "10.0.0.1", T)  # 2**5 = 32 s, longer than the window
    assert _wait(factory, "frank", "10.0.0.3", T + timedelta(seconds=9), short) == 23.0
    assert _wait(factory, "frank", "10.0.0.3", T + timedelta(seconds=10), short) == 22.0  # exactly the window
    assert _wait(factory, "frank", "10.0.0.3", T + timedelta(seconds=10, microseconds=1), short) == 0.0
    with transaction(factory) as s:  # at exactly the window the count goes on ...
        short.failed(s, "frank", "10.0.0.1", T + timedelta(seconds=10))
    assert _counts(factory)["u:frank"] == (11, T + timedelta(seconds=10))
    later = T + timedelta(seconds=20, microseconds=1)
    with transaction(factory) as s:  # ... and after it starts again from one
        short.failed(s, "frank", "10.0.0.1", later)
    assert _counts(factory)["u:frank"] == (1, later)
    assert _counts(factory)["a:10.0.0.1"] == (1, later)


def test_a_forgotten_username_count_does_not_hide_the_address_count(factory: sessionmaker[Session]) -> None:
    _fail(factory, "kate", "10.0.0.1", T - timedelta(hours=1), times=9)  # long ago: forgotten
    for n in range(21):
        _fail(factory, f"y{n}", "10.0.0.9", T)  # this address waits 2 s now
    assert _wait(factory, "kate", "10.0.0.1", T) == 0.0
    assert _wait(factory, "kate", "10.0.0.9", T) == 2.0


def test_default_window_is_fifteen_minutes(factory: sessionmaker[Session]) -> None:
    _fail(factory, "gina", "10.0.0.1", T, times=5)
    _fail(factory, "gina", "10.0.0.1", T + timedelta(minutes=15))
    assert _counts(factory)["u:gina"] == (6, T + timedelta(minutes=15))
    _fail(factory, "gina", "10.0.0.1", T + timedelta(minutes=30, seconds=1))
    assert _counts(factory)["u:gina"] == (1, T + timedelta(minutes=30, seconds=1))


def test_success_clears_the_username_only_and_reset_clears_everything(factory: sessionmaker[Session]) -> None:
    _fail(factory, "hal", "10.0.0.1", T, times=6)
    _fail(factory, "ivy", "10.0.0.2", T)
    with transaction(factory) as s:
        DEFAULT.succeeded(s, " HAL ")
    assert _counts(factory) == {"a:10.0.0.1": (6, T), "u:ivy": (1, T), "a:10.0.0.2": (1, T)}
    assert _wait(factory, "hal", "10.0.0.5", T) == 0.0
    with transaction(factory) as s:
        DEFAULT.reset(s)
    assert _counts(factory) == {}


def test_the_wall_clock_is_used_when_no_time_is_given(factory: sessionmaker[Session], far_zone: None) -> None:
    """In UTC, whatever the server's local zone."""
    with transaction(factory) as s:
        for _ in range(12):
            DEFAULT.failed(s, "jim", "10.0.0.1")
    ((failures, at),) = [v for k, v in _counts(factory).items() if k == "u:jim"]
    assert failures == 12 and abs((datetime.now(UTC) - at).total_seconds()) < 60
    with factory() as s:
        wait = DEFAULT.retry_after(s, "jim", "10.0.0.2")
    assert 60.0 < wait <= 128.0
