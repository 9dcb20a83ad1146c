"""Home questionnaires on schedule, and appointment reminders: the worker's tick.

A schedule (one active per patient) names the instruments, the plan's re-evaluation dates
and "after every Nth session".  :func:`tick` runs off the request path (``filiform portal
worker``) with an injectable clock: for each occasion now due it issues a questionnaire
link and queues its e-mail; for each booked appointment inside the clinic's reminder
window it queues a reminder.  Occasions and reminders are marked, so a tick never sends
twice.  Times in e-mails are on the clinic's clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from babel.dates import format_datetime
from sqlalchemy.orm import Session, sessionmaker

from filiform.core.concepts.clock import Clock, local_date, to_local, utc
from filiform.core.outcomes.wording import home_instruments
from filiform.core.portal.schedule import due_occasions
from filiform.errors import ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import patient_of_clinic
from filiform.services.operations import audit, outbox
from filiform.services.portal import links
from filiform.services.records.clinic_settings import letterhead, settings_of
from filiform.storage.engine import transaction
from filiform.storage.models import Appointment, Clinic, MeasureSchedule, Patient, PortalLink, TreatmentSession


@dataclass
class TickReport:
    measure_links: int = 0
    reminders: int = 0
    skipped: list[str] = field(default_factory=list)


def when_text(moment: datetime, tz: str, lang: str) -> str:
    """A time as the patient reads it: on the clinic's clock, in their language."""
    return str(format_datetime(to_local(moment, tz), "EEEE d MMMM y, HH:mm", locale=lang))


def create_schedule(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    instruments: list[str],
    due_dates: list[date],
    every_n_sessions: int | None,
    now: datetime,
) -> MeasureSchedule:
    """The patient's home-measure schedule (replaces an active one)."""
    require(actor, Perm.WRITE_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    home = {i.id for i in home_instruments()}
    problems = [f"{i}: not available for patients at home" for i in instruments if i not in home]
    if not instruments:
        problems.append("choose at least one questionnaire")
    if not due_dates and not every_n_sessions:
        problems.append("give re-evaluation dates, a number of sessions, or both")
    if every_n_sessions is not None and not 1 <= every_n_sessions <= 50:
        problems.append("every N sessions: 1 to 50")
    if problems:
        raise ValidationFailed("invalid schedule", details=problems)
    session.execute(
        sa.update(MeasureSchedule)
        .where(MeasureSchedule.patient_id == patient_id, MeasureSchedule.ended_at.is_(None))
        .values(ended_at=now)
    )
    row = MeasureSchedule(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        instruments=sorted(set(instruments)),
        due_dates=sorted({d.isoformat() for d in due_dates}),
        every_n_sessions=every_n_sessions,
        served=[],
        created_by=actor.user_id,
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="measure_schedule",
        entity_id=row.id,
        patient_id=patient_id,
        detail={"instruments": row.instruments, "dates": row.due_dates, "every_n": every_n_sessions},
    )
    return row


def active_schedule(session: Session, *, actor: Actor, patient_id: int) -> MeasureSchedule | None:
    require(actor, Perm.READ_CLINICAL)
    stmt = sa.select(MeasureSchedule).where(
        MeasureSchedule.patient_id == patient_id,
        MeasureSchedule.clinic_id == actor.clinic_id,
        MeasureSchedule.ended_at.is_(None),
    )
    return session.execute(stmt).scalar_one_or_none()


def _lang(session: Session, patient_id: int) -> str:
    stmt = (
        sa.select(PortalLink.lang)
        .where(PortalLink.patient_id == patient_id, PortalLink.lang.is_not(None))
        .order_by(PortalLink.id.desc())
        .limit(1)
    )
    return session.scalar(stmt) or "en"


def send_link_email(
    session: Session, *, issued: links.IssuedLink, template: str, base_url: str, lang: str, now: datetime
) -> None:
    """Queue the e-mail carrying a freshly issued link (the patient must have an address)."""
    link = issued.link
    patient = session.get(Patient, link.patient_id)
    if patient is None or not patient.email:
        raise ValidationFailed("the patient has no e-mail address on file")
    head = letterhead(session, link.clinic_id)
    subject, body = outbox.render(
        template, lang, clinic=head.name, phone=head.phone, expires=when_text(link.expires_at, head.timezone, lang)
    )
    outbox.enqueue(
        session,
        clinic_id=link.clinic_id,
        patient_id=link.patient_id,
        to=patient.email,
        template=template,
        subject=subject,
        body=body,
        lang=lang,
        now=now,
        link_url=base_url.rstrip("/") + issued.path,
        link_id=link.id,
    )


def _measures(session: Session, now: datetime, base_url: str, report: TickReport) -> None:
    for row in session.execute(sa.select(MeasureSchedule).where(MeasureSchedule.ended_at.is_(None))).scalars():
        tz = settings_of(session, row.clinic_id).timezone
        sessions_done = session.scalar(
            sa.select(sa.func.count())
            .select_from(TreatmentSession)
            .where(TreatmentSession.patient_id == row.patient_id)
        )
        due = due_occasions(
            due_dates=[date.fromisoformat(d) for d in row.due_dates],
            every_n_sessions=row.every_n_sessions,
            sessions_done=sessions_done or 0,
            served=row.served,
            today=local_date(now, tz),
        )
        if not due:
            continue
        patient = session.get(Patient, row.patient_id)
        lang = _lang(session, row.patient_id)
        available = {i.id for i in home_instruments(lang)}
        forms = [f"measure:{i}" for i in row.instruments if i in available]
        if patient is None or not patient.email or not forms:
            report.skipped.append(f"schedule {row.id}: no e-mail address or no questionnaire in '{lang}'")
            continue
        issued = links.create(
            session,
            clinic_id=row.clinic_id,
            patient_id=row.patient_id,
            created_by=row.created_by,
            forms=forms,
            detail={"occasions": due},
            now=now,
            lang=lang,
        )
        send_link_email(session, issued=issued, template="measure_link", base_url=base_url, lang=lang, now=now)
        row.served = [*row.served, *due]
        audit.record(
            session,
            actor=None,
            chain=row.clinic_id,
            action="schedule_send",
            entity="measure_schedule",
            entity_id=row.id,
            patient_id=row.patient_id,
            detail={"occasions": due, "link": issued.link.id},
        )
        report.measure_links += 1


def _reminders(session: Session, now: datetime, report: TickReport) -> None:
    stmt = (
        sa.select(Appointment, Patient.email)
        .join(Patient, Patient.id == Appointment.patient_id)
        .where(
            Appointment.status == "booked",
            Appointment.reminded_at.is_(None),
            Appointment.starts_at > now,
            Appointment.starts_at <= now + timedelta(hours=168),
        )
    )
    for appointment, email in session.execute(stmt).all():
        head = letterhead(session, appointment.clinic_id)
        hours = settings_of(session, appointment.clinic_id).reminder_hours
        starts = utc(appointment.starts_at)
        if starts > now + timedelta(hours=hours) or not email:
            continue
        lang = _lang(session, appointment.patient_id)
        subject, body = outbox.render(
            "appointment_reminder",
            lang,
            clinic=head.name,
            phone=head.phone,
            time=when_text(starts, head.timezone, lang),
        )
        outbox.enqueue(
            session,
            clinic_id=appointment.clinic_id,
            patient_id=appointment.patient_id,
            to=email,
            template="appointment_reminder",
            subject=subject,
            body=body,
            lang=lang,
            now=now,
            appointment_id=appointment.id,
        )
        appointment.reminded_at = now
        report.reminders += 1


TICK_LOCK = 0x46494C49  # "FILI": the advisory lock id of a schedule pass on PostgreSQL


def _exclusive(session: Session) -> bool:
    """One schedule pass at a time across processes, so nothing is queued twice.

    PostgreSQL: a transaction-level advisory lock (a busy pass is skipped, not waited
    for).  SQLite allows one writer; a second pass fails to write and is retried later.
    """
    if session.get_bind().dialect.name != "postgresql":
        return True
    return bool(session.scalar(sa.text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": TICK_LOCK}))


def tick(sessions: sessionmaker[Session], clock: Clock, *, base_url: str) -> TickReport:
    """Queue every questionnaire link and reminder now due (one transaction per clinic pass)."""
    now = clock.now().astimezone(UTC)
    report = TickReport()
    with transaction(sessions) as session:
        if not _exclusive(session):
            return report  # another worker is making this pass right now
        if session.scalar(sa.select(sa.func.count()).select_from(Clinic)):
            _measures(session, now, base_url, report)
            _reminders(session, now, report)
    return report
