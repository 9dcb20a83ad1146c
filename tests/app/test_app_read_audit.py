"""Issue 20 item 3: read-audit entries go through one group-commit writer, are durable
before the response, keep the keyed chain intact, and session look-ups are cached while
revocation and idle time stay exact."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from api_world import PASSWORD, World, login
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from filiform.app.request_audit import RequestAudit
from filiform.services.access import auth_sessions, users
from filiform.services.access.context import Actor, Role
from filiform.services.access.session_cache import SessionCache
from filiform.services.operations import audit, audit_writer
from filiform.services.operations.audit_writer import writer_for
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.models import AuditLog
from filiform.storage.writer_lock import writer_lock


def _count(app: FastAPI, **where: object) -> int:
    with app.state.engine.connect() as conn:
        stmt = sa.select(sa.func.count()).select_from(AuditLog)
        for name, value in where.items():
            stmt = stmt.where(getattr(AuditLog, name) == value)
        return int(conn.scalar(stmt) or 0)


def test_a_read_is_audited_before_its_response(world: World, app: FastAPI) -> None:
    client = login(TestClient(app), "clinician_a")
    pid = world.patient["a"]
    before = _count(app, patient_id=pid, action="read")
    assert client.get(f"/patients/{pid}").status_code == 200
    assert _count(app, patient_id=pid, action="read") >= before + 2  # patient and timeline
    assert _count(app, patient_id=pid, action="access") >= 1
    with app.state.sessions() as s:
        assert audit.verify(s).ok


def test_no_data_leaves_without_its_audit_entry(world: World, app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    client = login(TestClient(app), "clinician_a")

    def refusing(original: Callable[..., int]) -> Callable[..., int]:
        def refuse_reads(where: object, entries: list[audit.Pending], *rest: object) -> int:
            if any(entry.action == "read" for entry in entries):
                raise RuntimeError("disk full")
            return original(where, entries, *rest)

        return refuse_reads

    # the writer's two paths: a plain cursor on SQLite, a session elsewhere
    monkeypatch.setattr(audit_writer, "append_sqlite", refusing(audit_writer.append_sqlite))
    monkeypatch.setattr(audit_writer, "append_many", refusing(audit_writer.append_many))
    r = TestClient(app, raise_server_exceptions=False, cookies=client.cookies).get(
        f"/api/patients/{world.patient['a']}"
    )
    assert r.status_code == 500 and "Lovelace" not in r.text


def test_waiting_reads_share_one_durable_commit(app: FastAPI) -> None:
    writer = writer_for(app.state.sessions)
    lock = writer_lock(app.state.sessions)
    assert lock is not None
    actor = Actor(user_id=1, clinic_id=1, role=Role.ADMIN)
    with lock:  # a long clinical write holds the writer: reads queue up meanwhile
        before = writer.commits
        futures = [writer.submit([audit.pending(actor=actor, action="read", entity="patient")]) for _ in range(40)]
        threading.Event().wait(0.2)
    for f in futures:
        f.result(timeout=10)
    assert writer.commits - before <= 2  # 40 reads, one or two fsyncs
    with app.state.sessions() as s:
        assert audit.verify(s).ok


def test_concurrent_reads_keep_the_chain_whole(world: World, app: FastAPI) -> None:
    clients = [login(TestClient(app), "clinician_a") for _ in range(4)]
    errors: list[int] = []

    def read(client: TestClient) -> None:
        for _ in range(10):
            r = client.get(f"/api/patients/{world.patient['a']}/timeline")
            if r.status_code != 200:
                errors.append(r.status_code)

    threads = [threading.Thread(target=read, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert _count(app, patient_id=world.patient["a"], action="read", entity="timeline") >= 40
    with app.state.sessions() as s:
        assert audit.verify(s).ok


def _statements(app: FastAPI) -> list[str]:
    seen: list[str] = []
    event.listen(app.state.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def test_a_cached_session_costs_one_small_read(world: World, app: FastAPI) -> None:
    client = login(TestClient(app), "clinician_a")
    token = client.cookies.get(auth_sessions.COOKIE_NAME) or ""
    cache = SessionCache()
    assert auth_sessions.lookup(app.state.sessions, token=token, client="t", cache=cache) is not None
    seen = _statements(app)
    assert auth_sessions.lookup(app.state.sessions, token=token, client="t", cache=cache) is not None
    assert len(seen) == 0 or all("auth_state" in s for s in seen)  # raw epoch read bypasses events


def test_revocation_elsewhere_is_seen_at_once_by_a_cached_session(world: World, app: FastAPI) -> None:
    client = login(TestClient(app), "clinician_a")
    token = client.cookies.get(auth_sessions.COOKIE_NAME) or ""
    cache = SessionCache()  # this process's cache; the revocation below happens "elsewhere"
    factory = app.state.sessions
    assert auth_sessions.lookup(factory, token=token, client="t", cache=cache) is not None
    admin = Actor(user_id=world.users["admin_a"], clinic_id=1, role=Role.ADMIN)
    with transaction(factory) as s:
        users.deactivate_user(s, actor=admin, user_id=world.users["clinician_a"])
    assert auth_sessions.lookup(factory, token=token, client="t", cache=cache) is None
    other = login(TestClient(app), "assistant_a")
    token2 = other.cookies.get(auth_sessions.COOKIE_NAME) or ""
    assert auth_sessions.lookup(factory, token=token2, client="t", cache=cache) is not None
    with transaction(factory) as s:
        auth_sessions.logout(s, token=token2)
    assert auth_sessions.lookup(factory, token=token2, client="t", cache=cache) is None


def test_idle_time_is_exact_with_a_cached_session(world: World, app: FastAPI) -> None:
    client = login(TestClient(app), "front_desk_a")
    token = client.cookies.get(auth_sessions.COOKIE_NAME) or ""
    cache = SessionCache()
    idle = timedelta(minutes=10)
    now = datetime.now(UTC)
    factory = app.state.sessions
    assert auth_sessions.lookup(factory, token=token, client="t", idle=idle, now=now, cache=cache) is not None
    late = now + idle + timedelta(seconds=1)
    assert auth_sessions.lookup(factory, token=token, client="t", idle=idle, now=late, cache=cache) is None
    assert PASSWORD


def _entries_in_log(app: FastAPI) -> int:
    with app.state.sessions() as s:
        return int(s.execute(sa.select(sa.func.count()).select_from(AuditLog)).scalar_one())


def test_reads_are_held_until_the_response_starts_and_written_in_place_after(app: FastAPI) -> None:
    """Before the response starts a read's entries wait for the middleware's flush (which the
    first byte of the response waits for); after it started they are written where made."""
    actor = Actor(user_id=1, clinic_id=1, role=Role.ADMIN)
    sink = RequestAudit(app.state.sessions)
    start = _entries_in_log(app)
    sink.write_later(app.state.sessions, [audit.pending(actor=actor, action="read", entity="patient")])
    assert _entries_in_log(app) == start  # held
    # what the middleware awaits before sending the response start; in its own thread, since a
    # browser test's sync API may keep an event loop running in this worker's main thread
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, sink.flush()).result()
    assert _entries_in_log(app) == start + 1
    sink.write_later(app.state.sessions, [audit.pending(actor=actor, action="read", entity="timeline")])
    assert _entries_in_log(app) == start + 2  # durable before write_later returned
    with app.state.sessions() as s:
        assert audit.verify(s).ok


def _written_and_verified(engine: Engine) -> int:
    """Entries in the log, once the chain verifies (a function: its sessions and
    connections, which hold the engine, end with it)."""
    with session_factory(engine)() as s:
        assert audit.verify(s).ok
        return int(s.execute(sa.select(sa.func.count()).select_from(AuditLog)).scalar_one())


def test_the_writer_lets_its_engine_go_when_idle(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer keeps nothing that holds its engine once its thread has exited (the
    writers are keyed weakly by engine); on SQLite it builds no session factory at all
    (a plain cursor per commit), elsewhere one for all the thread's commits."""
    import gc
    import weakref

    monkeypatch.setattr(audit_writer, "IDLE_EXIT_S", 0.05)
    built: list[object] = []
    monkeypatch.setattr(audit_writer, "session_factory", lambda e: built.append(e) or session_factory(e))
    engine = make_engine(world.url)
    writer = writer_for(session_factory(engine))
    actor = Actor(user_id=1, clinic_id=1, role=Role.ADMIN)
    for _ in range(3):
        writer.write([audit.pending(actor=actor, action="read", entity="patient")])
    assert writer.commits == 3
    assert len(built) == (0 if engine.dialect.name == "sqlite" else 1)
    for _ in range(100):  # the thread exits after its idle time
        if writer._thread is None:
            break
        threading.Event().wait(0.02)
    assert writer._thread is None and writer._sessions is None
    built.clear()
    assert _written_and_verified(engine) >= 3
    gone = weakref.ref(engine)
    engine.dispose()
    del engine
    gc.collect()
    assert gone() is None


def test_a_caller_gone_while_its_entries_wait_leaves_the_writer_working(app: FastAPI) -> None:
    """A request cancelled while its entries wait for the thread (the client went away;
    asyncio cancels the writer's future with it) is still audited, and the writer goes on
    answering the others.  Before, answering the cancelled future raised in the writer's
    thread, the thread ended, and every later read waited for ever."""
    writer = writer_for(app.state.sessions)
    lock = writer_lock(app.state.sessions)
    assert lock is not None
    actor = Actor(user_id=1, clinic_id=1, role=Role.ADMIN)
    start = _entries_in_log(app)
    with lock:  # a clinical write holds the database: the entries wait in the queue
        gone = writer.submit([audit.pending(actor=actor, action="read", entity="gone")])
        assert gone.cancel()
        stays = writer.submit([audit.pending(actor=actor, action="read", entity="stays")])
    stays.result(timeout=10)
    writer.write([audit.pending(actor=actor, action="read", entity="later")])  # the thread still runs
    assert _entries_in_log(app) == start + 3
    with app.state.sessions() as s:
        assert audit.verify(s).ok
