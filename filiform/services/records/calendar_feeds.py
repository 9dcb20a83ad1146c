"""Each clinician's iCalendar subscription: a secret URL, revocable, read without a login.

Calendar programs cannot log in, so the feed URL itself is the credential: 256 random
bits, stored hashed, replaced (and the old one revoked) whenever the clinician asks for a
new one.  A feed read is audited on the clinic's chain as the clinician's feed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.core.concepts.clock import Clock
from filiform.errors import NotFound, PermissionDenied
from filiform.services.access.context import Actor, Role
from filiform.services.operations import audit
from filiform.services.portal.tokens import hash_token, new_token, well_formed
from filiform.services.records.clinic_settings import settings_of
from filiform.storage.models import Appointment, CalendarFeed, ClinicSettings, Patient, User

PAST = timedelta(days=30)
AHEAD = timedelta(days=180)


def issue_feed(session: Session, *, actor: Actor, now: datetime) -> str:
    """A new feed token for the acting clinician; any older one stops working."""
    if actor.role is not Role.CLINICIAN:
        raise PermissionDenied("only clinicians have an appointment feed")
    session.execute(
        sa.update(CalendarFeed)
        .where(CalendarFeed.user_id == actor.user_id, CalendarFeed.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    raw, digest = new_token()
    row = CalendarFeed(clinic_id=actor.clinic_id, user_id=actor.user_id, token_hash=digest, created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="create", entity="calendar_feed", entity_id=row.id)
    return raw


def has_feed(session: Session, *, actor: Actor) -> bool:
    stmt = sa.select(CalendarFeed.id).where(CalendarFeed.user_id == actor.user_id, CalendarFeed.revoked_at.is_(None))
    return session.scalar(stmt) is not None


def feed(
    session: Session, *, token: str, clock: Clock
) -> tuple[User, ClinicSettings, list[tuple[Appointment, str | None]]]:
    """The clinician, the clinic's settings and their appointments (with patient names only
    when the clinic allows names in calendars)."""
    row = (
        session.execute(
            sa.select(CalendarFeed).where(
                CalendarFeed.token_hash == hash_token(token), CalendarFeed.revoked_at.is_(None)
            )
        ).scalar_one_or_none()
        if well_formed(token)
        else None
    )
    user = session.get(User, row.user_id) if row is not None else None
    if row is None or user is None or not user.active:
        raise NotFound("no such calendar feed")
    settings = settings_of(session, row.clinic_id)
    now = clock.now().astimezone(UTC)
    stmt = (
        sa.select(Appointment, Patient.given_name, Patient.family_name)
        .join(Patient, Patient.id == Appointment.patient_id)
        .where(
            Appointment.clinician_id == user.id,
            Appointment.clinic_id == row.clinic_id,
            Appointment.starts_at >= now - PAST,
            Appointment.starts_at < now + AHEAD,
        )
        .order_by(Appointment.starts_at)
    )
    items = [
        (a, f"{given} {family}" if settings.calendar_names else None) for a, given, family in session.execute(stmt)
    ]
    audit.record(
        session,
        actor=None,
        chain=row.clinic_id,
        action="read",
        entity="calendar_feed",
        entity_id=row.id,
        detail={"user": user.id, "appointments": [a.id for a, _ in items], "names": settings.calendar_names},
    )
    return user, settings, items
