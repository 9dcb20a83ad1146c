"""The portal worker: safe when two run at once, and runnable as a thread of the web app."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from portal_world import post
from sqlalchemy.orm import sessionmaker

from filiform.core.concepts.clock import FixedClock
from filiform.services.access.context import Actor, Role
from filiform.services.operations import outbox
from filiform.services.operations.demo import generate
from filiform.services.portal.schedule import TICK_LOCK, create_schedule, tick
from filiform.services.portal.worker import WorkerThread, run_pass
from filiform.storage.engine import make_engine
from filiform.storage.migrate import upgrade
from filiform.storage.models import OutboxMessage, Patient, User


class _Inbox:
    """Records what it is asked to send; ``during`` runs inside a send (a second worker)."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.during: Callable[[], None] | None = None

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append(body)
        if self.during is not None:
            during, self.during = self.during, None
            during()


def _queue(app: FastAPI, clock: FixedClock, n: int) -> list[int]:
    ids = []
    with app.state.sessions.begin() as s:
        for i in range(n):
            row = outbox.enqueue(
                s,
                clinic_id=1,
                to=f"p{i}@example.org",
                template="forms_link",
                subject="x",
                body=f"message {i} {outbox.LINK_MARK}",
                lang="en",
                now=clock.now(),
                link_url=f"https://clinic.example/p/{i}",
            )
            ids.append(row.id)
    return ids


def test_a_second_worker_never_sends_a_message_the_first_is_sending(app: FastAPI, clock: FixedClock) -> None:
    sessions = app.state.sessions
    outbox.deliver_due(sessions, _Inbox(), clock)  # drain what other tests of this module queued
    ids = _queue(app, clock, 3)
    inbox = _Inbox()
    second: list[outbox.Delivery] = []
    inbox.during = lambda: second.append(outbox.deliver_due(sessions, inbox, clock))
    first = outbox.deliver_due(sessions, inbox, clock)
    bodies = [b for b in inbox.sent if b.startswith("message")]
    assert len(bodies) == 3 and len(set(bodies)) == 3, bodies  # each message exactly once
    assert first.sent + second[0].sent == 3
    with sessions() as s:
        states = s.execute(sa.select(OutboxMessage.status).where(OutboxMessage.id.in_(ids))).scalars().all()
    assert sorted(states) == ["sent"] * 3


def test_the_worker_thread_queues_due_questionnaires(
    app: FastAPI, staff: Callable[[str], TestClient], clock: FixedClock
) -> None:
    with app.state.sessions() as s:
        patient = s.execute(sa.select(Patient).order_by(Patient.id.desc())).scalars().first()
    due = (clock.now() + timedelta(days=1)).date().isoformat()
    saved = post(
        staff("clinician"),
        f"/patients/{patient.id}/portal/schedule",
        {"instrument": ["nprs"], "due_dates": due},
        page=f"/patients/{patient.id}/portal",
    )
    assert saved.status_code == 303, saved.text[:500]
    assert run_pass(app.state.sessions, clock, base_url="https://clinic.example", mailer=None).measure_links == 0
    clock.advance(timedelta(days=1))
    thread = WorkerThread(app.state.sessions, clock, base_url="https://clinic.example", mailer=None, every=0.05)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while thread.passes < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        thread.stop()
    assert not thread.is_alive() and thread.passes >= 2
    with app.state.sessions() as s:
        links = s.execute(
            sa.select(OutboxMessage).where(
                OutboxMessage.patient_id == patient.id, OutboxMessage.link_url.like("https://clinic.example/p/%")
            )
        ).scalars()
        assert len(list(links)) == 1  # queued once, although the thread ran at least two passes


@pytest.mark.postgres
def test_on_postgresql_a_schedule_pass_is_skipped_while_another_worker_holds_it(pg_url: str) -> None:
    engine = make_engine(pg_url)
    try:
        upgrade(engine)
        generate(engine, patients=3, seed=5)
        sessions = sessionmaker(engine)
        clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        with sessions.begin() as s:
            clinician = s.execute(sa.select(User).where(User.role == "clinician")).scalars().first()
            patient = (
                s.execute(
                    sa.select(Patient).where(Patient.clinic_id == clinician.clinic_id, Patient.email.is_not(None))
                )
                .scalars()
                .first()
            )
            actor = Actor(user_id=clinician.id, clinic_id=clinician.clinic_id, role=Role.CLINICIAN, client="test")
            create_schedule(
                s,
                actor=actor,
                patient_id=patient.id,
                instruments=["nprs"],
                due_dates=[clock.now().date()],
                every_n_sessions=None,
                now=clock.now(),
            )
        with engine.connect() as other:  # another worker, in the middle of its pass
            assert other.scalar(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": TICK_LOCK})
            assert tick(sessions, clock, base_url="https://clinic.example").measure_links == 0
            other.rollback()  # its pass ends
        assert tick(sessions, clock, base_url="https://clinic.example").measure_links == 1
        assert tick(sessions, clock, base_url="https://clinic.example").measure_links == 0  # never twice
    finally:
        engine.dispose()
