"""A clinician's appointments as an iCalendar feed (RFC 5545, with the ``icalendar`` library).

Times carry the clinic's zone (``TZID`` with its ``VTIMEZONE``), so calendar programs show
the clinic's wall-clock time.  The summary holds the patient's name only when the clinic
allows names in calendars; otherwise it says "Appointment" and nothing about the patient.
Cancelled appointments stay in the feed as cancelled, so subscribers drop them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from filiform.core.concepts.clock import to_local

STATUS = {"booked": "CONFIRMED", "attended": "CONFIRMED", "no_show": "CONFIRMED", "cancelled": "CANCELLED"}


def feed_ics(
    *,
    clinic_name: str,
    timezone: str,
    host: str,
    items: Iterable[tuple[int, datetime, int, str, str | None]],
    now: datetime,
) -> bytes:
    """``items``: (appointment id, UTC start, minutes, status, patient name or None)."""
    cal = Calendar()
    cal.add("prodid", "-//Filiform//appointments//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{clinic_name} appointments")
    cal.add("x-wr-timezone", timezone)
    for appointment_id, starts_at, minutes, status, name in items:
        start = to_local(starts_at, timezone)
        event = Event()
        event.add("uid", f"appointment-{appointment_id}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=minutes))
        summary = name or "Appointment"
        if status == "no_show":
            summary += " (did not attend)"
        event.add("summary", summary)
        event.add("status", STATUS[status])
        cal.add_component(event)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
