"""A unit of work the database rolls back for contention is "busy, nothing saved, resend".

Made real on both databases: on SQLite another connection holds the file past the busy
timeout; on PostgreSQL two units of work take the same two ``record_version`` rows in
opposite orders and the server breaks the deadlock.  The loser raises DatabaseContended
(503), left no row behind, and the same work succeeds when sent again.  Other database
errors keep their own type.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError

from filiform.errors import DatabaseContended
from filiform.storage.engine import make_engine, session_factory, sqlite_write_cursor, transaction
from filiform.storage.migrate import upgrade
from filiform.storage.settings import sqlite_path


def _short_busy_timeout(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=100")

    engine.dispose()  # pooled connections keep the 30 s default


def _rows(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        return {int(p) for p in conn.execute(sa.text("SELECT patient_id FROM record_version")).scalars()}


def _add(patient_id: int) -> sa.TextClause:
    return sa.text(f"INSERT INTO record_version (patient_id, version) VALUES ({patient_id}, 0)")


def test_sqlite_file_held_by_another_process_is_busy_then_saved(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'filiform.db'}"
    engine = make_engine(url)
    upgrade(engine)
    _short_busy_timeout(engine)
    factory = session_factory(engine)
    other = sqlite3.connect(sqlite_path(url), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(DatabaseContended) as caught, transaction(factory) as s:
        s.execute(_add(41))
    assert isinstance(caught.value.__cause__, DBAPIError)
    assert caught.value.status == 503 and "nothing was saved" in caught.value.message
    other.execute("ROLLBACK")
    other.close()
    assert 41 not in _rows(engine)
    with transaction(factory) as s:
        s.execute(_add(41))
    assert 41 in _rows(engine)
    engine.dispose()


def test_a_plain_cursor_write_held_off_by_another_process_is_busy_then_saved(tmp_path: Path) -> None:
    """sqlite_write_cursor (the audit writer's path) reports contention as a write unit
    does, leaves nothing behind, and writes once the file is free."""
    url = f"sqlite:///{tmp_path / 'filiform.db'}"
    engine = make_engine(url)
    upgrade(engine)
    _short_busy_timeout(engine)
    other = sqlite3.connect(sqlite_path(url), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    with pytest.raises(DatabaseContended) as caught, sqlite_write_cursor(engine) as cursor:
        cursor.execute(str(_add(42)))
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
    other.execute("ROLLBACK")
    other.close()
    assert 42 not in _rows(engine)
    with sqlite_write_cursor(engine) as cursor:
        cursor.execute(str(_add(42)))
    assert 42 in _rows(engine)
    engine.dispose()


def test_other_database_errors_keep_their_type(db_engine: Engine) -> None:
    factory = session_factory(db_engine)
    with transaction(factory) as s:
        s.execute(_add(7))
    with pytest.raises(IntegrityError), transaction(factory) as s:
        s.execute(_add(7))


@pytest.mark.postgres
def test_postgres_deadlock_rolls_one_back_as_busy_and_keeps_the_other(pg_url: str) -> None:
    engine = make_engine(pg_url)
    upgrade(engine)
    factory = session_factory(engine)
    with transaction(factory) as s:
        s.execute(sa.text("INSERT INTO record_version (patient_id, version) VALUES (1, 0), (2, 0)"))
    both_hold_one = threading.Barrier(2, timeout=30)
    outcome: dict[str, str] = {}

    def writer(name: str, first: int, second: int) -> None:
        bump = "UPDATE record_version SET version = version + 1 WHERE patient_id = :p"
        try:
            with transaction(factory) as s:
                s.execute(sa.text(bump), {"p": first})
                both_hold_one.wait()
                s.execute(sa.text(bump), {"p": second})
            outcome[name] = "saved"
        except DatabaseContended:
            outcome[name] = "busy"

    threads = [threading.Thread(target=writer, args=args) for args in (("a", 1, 2), ("b", 2, 1))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcome.values()) == ["busy", "saved"]
    with engine.connect() as conn:
        versions = dict(conn.execute(sa.text("SELECT patient_id, version FROM record_version")).all())
    assert versions == {1: 1, 2: 1}  # the winner's two bumps only: the loser left nothing
    engine.dispose()


def test_the_classifier_examples_hold() -> None:
    import doctest

    from filiform.storage import contention

    failed, tried = doctest.testmod(contention)
    assert (failed, tried) == (0, 3)
