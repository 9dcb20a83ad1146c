"""E-mail through a real local SMTP server (STARTTLS, login), the outbox, the schedule tick:
a week on, a questionnaire link arrives, the patient answers it, and the score lands in the
trend marked as answered at home."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.smtp import AuthResult
from fastapi import FastAPI
from fastapi.testclient import TestClient
from portal_world import START, body_of, free_port, open_as_patient, post, smtp_server, token_in
from smtp_tls import self_signed

from filiform.core.concepts.clock import FixedClock
from filiform.errors import ValidationFailed
from filiform.services.operations import outbox
from filiform.services.operations.mailer import SmtpMailer, SmtpSettings, smtp_settings
from filiform.services.portal.schedule import tick
from filiform.storage.models import OutboxMessage, OutcomeResponse, Patient

USER, PASSWORD = "clinic", "s3cret-pass"


def _auth(server: object, session: object, envelope: object, mechanism: str, auth_data: object) -> AuthResult:
    ok = getattr(auth_data, "login", b"") == USER.encode() and getattr(auth_data, "password", b"") == PASSWORD.encode()
    return AuthResult(success=ok)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    return self_signed(tmp_path_factory.mktemp("tls"))


def _patient(app: FastAPI) -> Patient:
    with app.state.sessions() as s:
        return s.execute(sa.select(Patient).order_by(Patient.id)).scalars().first()


def test_settings_come_from_the_environment_and_refuse_unsafe_ones() -> None:
    assert smtp_settings({}) is None
    good = smtp_settings({"FILIFORM_SMTP_HOST": "mail.example.org", "FILIFORM_SMTP_FROM": "c@example.org"})
    assert good is not None and good.security == "starttls" and good.port == 587
    for bad in (
        {"FILIFORM_SMTP_SECURITY": "none"},  # plain text to another machine
        {"FILIFORM_SMTP_USER": "u"},  # a user without a password
        {"FILIFORM_SMTP_PORT": "99999"},
        {"FILIFORM_SMTP_SECURITY": "ssl3"},
    ):
        with pytest.raises(ValidationFailed):
            smtp_settings({"FILIFORM_SMTP_HOST": "mail.example.org", "FILIFORM_SMTP_FROM": "c@example.org", **bad})


def test_a_week_later_the_questionnaire_arrives_and_its_score_is_in_the_trend(
    app: FastAPI, staff: Callable[[str], TestClient], clock: FixedClock, tls: tuple[Path, object]
) -> None:
    patient = _patient(app)
    doc = staff("clinician")
    due = (START + timedelta(days=7)).date().isoformat()
    saved = post(
        doc,
        f"/patients/{patient.id}/portal/schedule",
        {"instrument": ["nprs"], "due_dates": due},
        page=f"/patients/{patient.id}/portal",
    )
    assert saved.status_code == 303, saved.text[:2000]
    sessions = app.state.sessions
    assert tick(sessions, clock, base_url="https://clinic.example").measure_links == 0  # not due yet
    clock.advance(timedelta(days=7))
    assert tick(sessions, clock, base_url="https://clinic.example").measure_links == 1
    assert tick(sessions, clock, base_url="https://clinic.example").measure_links == 0  # never twice
    with sessions() as s:
        queued = s.execute(sa.select(OutboxMessage).where(OutboxMessage.status == "queued")).scalar_one()
        assert queued.link_url and outbox.LINK_MARK in queued.body
    cert, context = tls
    with smtp_server(tls_context=context, require_starttls=True, authenticator=_auth, auth_require_tls=True) as (
        inbox,
        port,
    ):
        mailer = SmtpMailer(
            SmtpSettings("127.0.0.1", port, "starttls", "clinic@example.org", USER, PASSWORD, str(cert))
        )
        delivered = outbox.deliver_due(sessions, mailer, clock)
    assert (delivered.sent, delivered.retried, delivered.failed) == (1, 0, 0)
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    text = body_of(mail)
    assert mail["To"] == patient.email and "questionnaire" in mail["Subject"]
    for private in (patient.given_name, patient.family_name, patient.mrn, str(patient.birth_date)):
        assert private not in text and private not in mail["Subject"]
    link = re.search(r"https://clinic\.example(/p/[A-Za-z0-9_-]+)", text)
    assert link is not None
    with sessions() as s:
        sent = s.get(OutboxMessage, queued.id)
        assert sent.status == "sent" and sent.link_url is None and link.group(1) not in sent.body  # link wiped
    phone = open_as_patient(app, link.group(1))
    page = phone.get("/p/measure/nprs")
    assert page.status_code == 200 and "Rate your pain" in page.text
    answered = phone.post(
        "/p/measure/nprs", data={"item-pain": "3", "csrf_token": token_in(page.text)}, follow_redirects=False
    )
    assert answered.status_code == 303
    with sessions() as s:
        row = s.execute(sa.select(OutcomeResponse).where(OutcomeResponse.source == "home")).scalar_one()
        assert (row.patient_id, row.instrument_id, row.total, row.completed_on) == (
            patient.id,
            "nprs",
            3.0,
            clock.now().date(),
        )
    measures = doc.get(f"/patients/{patient.id}/measures")
    assert 'data-source="home"' in measures.text
    plot = doc.get(f"/patients/{patient.id}/measures/nprs/plot.svg")
    assert plot.status_code == 200 and "answered at home" in plot.text


def test_a_failing_server_is_retried_then_given_up_and_the_link_wiped(app: FastAPI, clock: FixedClock) -> None:
    sessions = app.state.sessions
    with sessions.begin() as s:
        row = outbox.enqueue(
            s,
            clinic_id=1,
            to="someone@example.org",
            template="forms_link",
            subject="x",
            body=f"open {outbox.LINK_MARK}",
            lang="en",
            now=clock.now(),
            link_url="https://clinic.example/p/abc",
        )
        message_id = row.id
    dead = SmtpMailer(SmtpSettings("127.0.0.1", free_port(), "none", "clinic@example.org", timeout=2))
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        clock.advance(timedelta(hours=1))
        outbox.deliver_due(sessions, dead, clock)
        with sessions() as s:
            row = s.get(OutboxMessage, message_id)
            assert row.attempts == attempt and row.last_error
    assert row.status == "failed" and row.link_url is None
