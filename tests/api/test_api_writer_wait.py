"""Writers queued for the SQLite writer lock cannot wedge the worker-thread pool.

An API request takes the writer lock in one worker thread and runs its endpoint in
another.  With every thread of the pool held by requests waiting for the lock, the
holder never got a thread back: the server stopped answering.  The pool is made small
here (2 threads) so a few concurrent logins reproduce it.  The bound on the wait (503
after ``WRITER_WAIT_S``) kept the server alive; starting units of work in threads of
their own limit keeps the waiters off the pool, so the holder is not held up at all.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import anyio
import anyio.to_thread
import httpx
import pytest
from api_world import PASSWORD, World
from fastapi import FastAPI

from filiform.storage import writer_lock as storage_writer_lock


async def _log_in(app: FastAPI, username: str) -> int:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        token = (await client.get("/api/auth/csrf")).json()["data"]["csrf_token"]
        r = await client.post(
            "/api/auth/login", json={"username": username, "password": PASSWORD}, headers={"X-CSRF-Token": token}
        )
        if r.status_code == 503:
            assert r.json()["code"] == "database_contended" and r.headers["Retry-After"] == "1"
        return r.status_code


def test_writers_waiting_for_the_lock_give_up_instead_of_wedging_the_pool(
    app: FastAPI, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage_writer_lock, "WRITER_WAIT_S", 1.0)
    username = next(iter(world.users))

    async def burst() -> list[int]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 2
        with anyio.fail_after(30):  # a wedged pool never answers
            return list(await asyncio.gather(*(_log_in(app, username) for _ in range(4))))

    with ThreadPoolExecutor(1) as own_thread:  # a browser test may have left a loop running in this one
        codes = own_thread.submit(anyio.run, burst).result()
    assert set(codes) <= {200, 503} and 200 in codes, codes


async def _log_in_and_write(app: FastAPI, world: World, i: int) -> list[int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        client.headers["X-CSRF-Token"] = (await client.get("/api/auth/csrf")).json()["data"]["csrf_token"]
        login = await client.post("/api/auth/login", json={"username": "clinician_a", "password": PASSWORD})
        write = await client.post(
            f"/api/patients/{world.patient['a']}/episodes",
            json={"condition": f"Neck pain {i}", "icd10_codes": ["M54.2"], "opened_on": "2024-05-01"},
        )
        return [login.status_code, write.status_code]


def test_writers_waiting_for_the_lock_leave_the_pool_to_the_holder(app: FastAPI, world: World) -> None:
    """Eight clients log in and write at once with the pool at 2 threads and the wait's
    bound as shipped (30 s): every request succeeds, none waits for the bound."""
    assert storage_writer_lock.WRITER_WAIT_S >= 30

    async def burst() -> list[list[int]]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = 2
        with anyio.fail_after(20):  # a holder starved of threads waits for the 30 s bound
            return list(await asyncio.gather(*(_log_in_and_write(app, world, i) for i in range(8))))

    with ThreadPoolExecutor(1) as own_thread:
        answers = own_thread.submit(anyio.run, burst).result()
    assert answers == [[200, 201]] * 8, answers
