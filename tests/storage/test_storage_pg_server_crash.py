"""Crash the PostgreSQL *server* during concurrent writes; no acknowledged write is lost.

``pg_ctl stop -m immediate`` ends every server process at once without a checkpoint (what
a power cut leaves behind, short of the operating system's own caches); the restart runs
crash recovery from the write-ahead log.  Every session the writer acknowledged (printed
after its commit) must be back with its insertions and its audit entry, and the audit
chain must verify.  The cluster is this test's own, so no other test sees the crash.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from test_storage_crash import WRITER, _setup

from filiform.services.operations import audit
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.migrate import upgrade
from filiform.storage.models import AuditLog, InsertionRecord, TreatmentSession
from filiform.storage.pgcluster import TempCluster, find_pg_bin, start_temp_cluster

CRASHES = 2

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def own_cluster() -> Iterator[TempCluster]:
    if find_pg_bin() is None:
        pytest.fail("PostgreSQL server binaries not found (scripts/system-deps)", pytrace=False)
    cluster = start_temp_cluster()
    try:
        yield cluster
    finally:
        cluster.destroy()


def _write_then_crash_the_server(cluster: TempCluster, url: str, ids: tuple[int, int, int], pause: float) -> set[int]:
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), url, *map(str, ids), "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "FILIFORM_SKIP_KB_TARGETS": "1"},
    )
    acked: set[int] = set()
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("ack ") and line.endswith("\n"):
                acked.add(int(line[4:]))
                ready.set()

    reader = threading.Thread(target=read)
    reader.start()
    try:
        assert ready.wait(60), "writer never acknowledged a write"
        time.sleep(pause)
        cluster.stop("immediate")  # the server dies mid-write; the writer's acks stop here
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reader.join()
    return acked


def test_server_crash_during_writes_loses_no_acknowledged_write(own_cluster: TempCluster) -> None:
    url = own_cluster.create_database("crash")
    engine = make_engine(url)
    upgrade(engine)
    ids = _setup(engine)
    engine.dispose()
    rng = random.Random(20261128)
    acked: set[int] = set()
    for _ in range(CRASHES):
        acked |= _write_then_crash_the_server(own_cluster, url, ids, rng.uniform(0.3, 0.8))
        status = own_cluster.run("pg_ctl", "-D", str(own_cluster.data_dir), "status", check=False)
        assert status.returncode == 3, status.stdout  # 3: no server running
        own_cluster.start()  # crash recovery from the WAL
    assert len(acked) > CRASHES * 5, "the writer barely wrote: the test proves nothing"
    log = own_cluster.log.read_text(errors="replace")
    assert "database system was interrupted" in log or "not properly shut down" in log, "no crash recovery ran"
    engine = make_engine(url)
    try:
        with transaction(session_factory(engine)) as s:
            present = set(s.scalars(sa.select(TreatmentSession.id)))
            assert acked - present == set(), "acknowledged sessions lost"
            pairs = sa.select(InsertionRecord.session_id).group_by(InsertionRecord.session_id)
            assert present <= set(s.scalars(pairs.having(sa.func.count() == 2))), "a session lost its insertions"
            audited = sa.select(AuditLog.entity_id).where(
                AuditLog.entity == "treatment_session", AuditLog.action == "create"
            )
            assert present <= set(s.scalars(audited)), "a session lost its audit entry"
            report = audit.verify(s)
            assert report.ok, report.problems
    finally:
        engine.dispose()
    print(f"\npostgresql server: {CRASHES} immediate stops, {len(acked)} acknowledged, 0 lost")
