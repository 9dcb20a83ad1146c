"""The clinic's calendar for records: "today" and "now" as the clinic reads them.

Why a service module: core refuses only dates in the future everywhere on earth (it knows
no clinic, :func:`filiform.core.concepts.values.latest_today`); a record's date is checked
here against the clinic's own calendar, in the clinic's zone, with a message that names
both the value and the clinic's today. Every record kind uses these two checks.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from filiform.core.concepts.clock import Clock, SystemClock, local_date, show
from filiform.errors import ValidationFailed
from filiform.services.records.clinic_settings import zone_of

# A start time this far ahead of the server's clock is still "now": the form's clock and
# the server's may differ by a little, never by a session's length.
START_SLACK = timedelta(minutes=5)


def clinic_today(session: Session, clinic_id: int, clock: Clock | None = None) -> date:
    """Today on the clinic's calendar."""
    return local_date((clock or SystemClock()).now(), zone_of(session, clinic_id))


def check_day(session: Session, clinic_id: int, day: date, field: str, what: str, clock: Clock | None = None) -> None:
    """Refuse a record's date after the clinic's today (``field``: the form's words for it)."""
    today = clinic_today(session, clinic_id, clock)
    if day > today:
        raise ValidationFailed(
            f"invalid {what}", details=[f"{field}: {day.isoformat()} is in the future (today is {today.isoformat()})"]
        )


def check_start(session: Session, clinic_id: int, started_at: datetime, clock: Clock | None = None) -> None:
    """Refuse a session that starts after now (by more than :data:`START_SLACK`), in clinic time."""
    now = (clock or SystemClock()).now()
    if started_at > now + START_SLACK:
        tz = zone_of(session, clinic_id)
        raise ValidationFailed(
            "invalid session",
            details=[f"start time: {show(started_at, tz)} is in the future (it is now {show(now, tz)}, {tz})"],
        )
