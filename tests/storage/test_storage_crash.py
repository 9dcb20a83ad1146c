"""SIGKILL the writer again and again during concurrent writes; nothing acknowledged is lost.

Each run starts a writer process with three threads recording sessions (with insertions
and a chained audit entry, as the application does) and kills it with SIGKILL at a random
moment.  Afterwards every acknowledged session id must be present with its insertions and
its audit entry, the audit chain must verify and, on SQLite, ``PRAGMA integrity_check``
must say ok.  Three kills per database by default; ``FILIFORM_CRASH_RUNS`` raises the
number (docs/records.md has a long run's figures).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from filiform.core.safety.intake import CLEAR_ANSWERS, Intake
from filiform.core.safety.screening import evaluate
from filiform.services.access import users
from filiform.services.access.context import Actor, Role
from filiform.services.operations import audit
from filiform.services.records import clinical, patients
from filiform.storage.engine import session_factory, sqlite_integrity_check, transaction
from filiform.storage.models import AuditLog, InsertionRecord, TreatmentSession

WRITER = Path(__file__).with_name("crash_writer.py")
RUNS = int(os.environ.get("FILIFORM_CRASH_RUNS", "3"))  # keep the default suite fast


def _setup(engine: Engine) -> tuple[int, int, int]:
    with transaction(session_factory(engine)) as s:
        clinic, admin = users.create_clinic(
            s, name="Crash", admin_username="crash-admin", admin_password="crash-password-1"
        )
        a = Actor(user_id=admin.id, clinic_id=clinic.id, role=Role.ADMIN)
        doc = users.create_user(
            s, actor=a, username="crash-doc", display_name="Doc", role=Role.CLINICIAN, password="crash-password-1"
        )
        c = Actor(user_id=doc.id, clinic_id=clinic.id, role=Role.CLINICIAN)
        p = patients.register_patient(
            s,
            actor=c,
            details={
                "mrn": "C-1",
                "given_name": "Crash",
                "family_name": "Dummy",
                "birth_date": date(1970, 1, 1),
                "sex": "male",
            },
        )
        clinical.record_consent(
            s,
            actor=c,
            patient_id=p.id,
            details={"form_version": "v1", "consented_on": date.today() - timedelta(days=1)},
        )
        intake = Intake.from_data({**CLEAR_ANSWERS, "age": 46, "bmi": 26.0})  # complete: the session check needs it
        clinical.record_screening(
            s,
            actor=c,
            patient_id=p.id,
            answers=intake.model_dump(mode="json"),
            result=evaluate(intake),
            screened_at=datetime.now(UTC) - timedelta(days=1),
        )
        return clinic.id, doc.id, p.id


def _one_run(url: str, ids: tuple[int, int, int], rng: random.Random) -> set[int]:
    proc = subprocess.Popen(
        [sys.executable, str(WRITER), url, *map(str, ids), "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # the writer need not load and check the whole knowledge base before each run
        env={**os.environ, "FILIFORM_SKIP_KB_TARGETS": "1"},
    )
    acked: set[int] = set()
    ready = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("ack ") and line.endswith("\n"):
                acked.add(int(line[4:]))
                ready.set()  # warmed up: connections open, first commit done

    reader = threading.Thread(target=read)
    reader.start()
    assert ready.wait(60), proc.stderr.read() if proc.stderr else "writer never started"
    time.sleep(rng.uniform(0.2, 0.8))
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    return acked


@pytest.mark.slow
def test_sigkill_during_concurrent_writes_loses_no_acknowledged_write(db_engine: Engine, db_url: str) -> None:
    ids = _setup(db_engine)
    rng = random.Random(20261125)
    acked: set[int] = set()
    for _ in range(RUNS):
        acked |= _one_run(db_url, ids, rng)
    assert len(acked) > RUNS * 5, "the writer barely wrote: the test proves nothing"

    with transaction(session_factory(db_engine)) as s:
        present = set(s.scalars(sa.select(TreatmentSession.id)))
        missing = acked - present
        assert not missing, f"{len(missing)} acknowledged sessions lost"
        with_two = set(
            s.scalars(
                sa.select(InsertionRecord.session_id).group_by(InsertionRecord.session_id).having(sa.func.count() == 2)
            )
        )
        assert present <= with_two, "a session was committed without its insertions"
        audited = set(
            s.scalars(
                sa.select(AuditLog.entity_id).where(AuditLog.entity == "treatment_session", AuditLog.action == "create")
            )
        )
        assert present <= audited, "a session was committed without its audit entry"
        report = audit.verify(s)
        assert report.ok, report.problems
    if db_engine.dialect.name == "sqlite":
        assert sqlite_integrity_check(db_engine) == "ok"
    else:
        with db_engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW data_checksums").scalar() == "on"
    print(f"\n{db_engine.dialect.name}: {RUNS} kills, {len(acked)} acknowledged, 0 lost")
