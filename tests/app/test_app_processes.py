"""Real server processes: reads stay audited through SIGKILL (issue 20 item 3) and two
processes on one PostgreSQL share the login throttle and job bookkeeping (issue 19 item 8)."""

from __future__ import annotations

import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from api_world import PASSWORD, build_world
from server_proc import ensure_keys, start

from filiform.services.access.context import Actor, Role
from filiform.services.operations import audit, jobs
from filiform.storage.engine import make_engine, session_factory, transaction


def _client(base: str, username: str | None = None) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10)
    client.headers["X-CSRF-Token"] = client.get("/api/auth/csrf").json()["data"]["csrf_token"]
    if username:
        r = client.post("/api/auth/login", json={"username": username, "password": PASSWORD})
        assert r.status_code == 200, r.text
    return client


def test_sigkill_during_reads_loses_no_acknowledged_read_audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = tmp_path / "keys"
    ensure_keys(keys)
    monkeypatch.setenv("FILIFORM_AUDIT_KEY_FILE", str(keys / "audit.key"))
    url = f"sqlite:///{tmp_path / 'filiform.db'}"
    world = build_world(url)
    proc, base = start(url, keys)
    pid = world.patient["a"]
    acknowledged = [0]
    stop = threading.Event()

    def reader() -> None:
        client = _client(base, "clinician_a")
        while not stop.is_set():
            try:
                r = client.get(f"/api/patients/{pid}")
            except httpx.HTTPError:
                return
            if r.status_code == 200 and "Lovelace" in r.text:
                acknowledged[0] += 1

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(random.Random(19).uniform(1.5, 3.0))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stop.set()
    for t in threads:
        t.join()
    assert acknowledged[0] > 10
    engine = make_engine(url)
    with engine.connect() as conn:
        audited = conn.scalar(
            sa.text("SELECT count(*) FROM audit_log WHERE action = 'read' AND entity = 'patient' AND patient_id = :p"),
            {"p": pid},
        )
    with session_factory(engine)() as s:
        assert audit.verify(s).ok
    engine.dispose()
    assert audited >= acknowledged[0]


@pytest.mark.postgres
def test_two_processes_on_one_postgresql_share_the_throttle_and_jobs(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = tmp_path / "keys"
    ensure_keys(keys)
    monkeypatch.setenv("FILIFORM_AUDIT_KEY_FILE", str(keys / "audit.key"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        build_world(pg_url)
        (a, base_a), (b, base_b) = start(pg_url, keys), start(pg_url, keys)
        procs = [a, b]
        one, two = _client(base_a), _client(base_b)
        wrong = {"username": "front_desk_a", "password": "not the password at all"}
        codes = [c.post("/api/auth/login", json=wrong).status_code for c in (one, two, one, two, one)]
        assert codes == [401] * 5  # five failures spread over two processes
        for c in (one, two):  # the sixth attempt is refused by either process
            r = c.post("/api/auth/login", json={"username": "front_desk_a", "password": PASSWORD})
            assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        # spoofed X-Forwarded-For from loopback does not dodge the address throttle
        spoofed = [
            one.post(
                "/api/auth/login",
                json={"username": f"ghost{n}", "password": "x"},
                headers={"X-Forwarded-For": f"198.51.100.{n}"},
            ).status_code
            for n in range(16)
        ]
        assert 429 in spoofed
        engine = make_engine(pg_url)
        factory = session_factory(engine)
        actor = Actor(user_id=1, clinic_id=1, role=Role.ADMIN)
        with transaction(factory) as s:
            jobs.create(s, actor=actor, job_id="job-1", kind="fhir_export")
        with transaction(session_factory(make_engine(pg_url))) as s:  # another connection pool sees it
            jobs.update(s, job_id="job-1", state="running", done=5, total=10)
        with transaction(factory) as s:
            row = jobs.get(s, clinic_id=1, job_id="job-1")
            assert (row.state, row.done, row.total) == ("running", 5, 10)
        engine.dispose()
    finally:
        for p in procs:
            p.kill()
            p.wait()
