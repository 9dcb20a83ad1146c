"""Writes from many clients at once through a real server on SQLite: none fails.

FastAPI starts and ends a request's unit of work (a ``yield`` dependency) in worker
threads that differ from each other and from the endpoint's; the SQLite writer lock must
allow that.  Before the fix, concurrent logins and POSTs answered 500 or hung.
"""

from __future__ import annotations

import threading
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from api_world import PASSWORD, build_world
from server_proc import ensure_keys, start

from filiform.storage.engine import make_engine
from filiform.storage.writer_lock import WriterLock

CLIENTS, WRITES = 8, 6


def test_concurrent_logins_and_writes_all_succeed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = tmp_path / "keys"
    ensure_keys(keys)
    monkeypatch.setenv("FILIFORM_AUDIT_KEY_FILE", str(keys / "audit.key"))
    url = f"sqlite:///{tmp_path / 'filiform.db'}"
    world = build_world(url)
    proc, base = start(url, keys)
    pid = world.patient["a"]
    statuses: list[int] = []
    guard = threading.Lock()

    def clinician() -> None:
        with httpx.Client(base_url=base, timeout=30) as c:
            c.headers["X-CSRF-Token"] = c.get("/api/auth/csrf").json()["data"]["csrf_token"]
            got = [c.post("/api/auth/login", json={"username": "clinician_a", "password": PASSWORD}).status_code]
            for i in range(WRITES):
                r = c.post(
                    f"/api/patients/{pid}/episodes",
                    json={"condition": f"Neck pain {i}", "icd10_codes": ["M54.2"], "opened_on": "2024-05-01"},
                )
                got.append(r.status_code)
            with guard:
                statuses.extend(got)

    try:
        threads = [threading.Thread(target=clinician) for _ in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not any(t.is_alive() for t in threads), "a request hung"
    finally:
        proc.terminate()
        proc.wait(30)
    assert sorted(set(statuses)) == [200, 201], statuses
    assert statuses.count(201) == CLIENTS * WRITES
    engine = make_engine(url)
    with engine.connect() as conn:
        stored = conn.scalar(
            sa.text("SELECT count(*) FROM episode WHERE patient_id = :p AND condition LIKE 'Neck pain %'"),
            {"p": pid},
        )
    engine.dispose()
    assert stored == CLIENTS * WRITES


def test_the_writer_lock_is_reentrant_in_its_thread_and_released_from_another() -> None:
    lock = WriterLock()
    lock.acquire()
    lock.acquire()  # a nested unit of work in the same thread
    assert lock.held_here()
    lock.release()
    lock.detach()  # the unit's body moves to another thread
    assert not lock.held_here()
    waiter_got_it = threading.Event()

    def other() -> None:
        lock.acquire()
        waiter_got_it.set()
        lock.release()

    t = threading.Thread(target=other)
    t.start()
    assert not waiter_got_it.wait(0.2)  # still held, by no thread
    releaser = threading.Thread(target=lock.release)
    releaser.start()
    releaser.join()
    t.join(5)
    assert waiter_got_it.is_set()
