"""A clinic's time zone and contact details, and the one way pages read clinic time.

Every clinic has a settings row: older databases got one from migration ``0007_portal``;
a clinic created later gets one on first use, with the server's zone.  Pages, feeds,
e-mails and PDFs read the zone with :func:`zone_of` and convert through
:mod:`filiform.core.concepts.clock` (stored times are UTC).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from filiform.core.concepts.clock import check_zone
from filiform.errors import NotFound, ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.services.operations import audit
from filiform.storage.models import Clinic, ClinicSettings

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE = re.compile(r"^[0-9+() .\-/]{5,40}$")


def server_timezone() -> str:
    """The server's IANA zone: ``FILIFORM_TIMEZONE``, else ``TZ``, else the system's, else UTC."""
    candidates = [os.environ.get("FILIFORM_TIMEZONE", ""), os.environ.get("TZ", "").lstrip(":")]
    etc = Path("/etc/timezone")
    if etc.is_file():
        candidates.append(etc.read_text(encoding="utf-8").strip())
    local = Path("/etc/localtime")
    if local.is_symlink():
        candidates.append(str(local.resolve()).split("/zoneinfo/", 1)[-1])
    for name in candidates:
        try:
            return check_zone(name)
        except ValidationFailed:
            continue
    return "UTC"


def settings_of(session: Session, clinic_id: int) -> ClinicSettings:
    """The clinic's settings row, created with the server's zone on first use."""
    row = session.get(ClinicSettings, clinic_id)
    if row is None:
        if session.get(Clinic, clinic_id) is None:
            raise NotFound(f"clinic {clinic_id} not found")
        row = ClinicSettings(clinic_id=clinic_id, timezone=server_timezone())
        session.add(row)
        session.flush()
    return row


def zone_of(session: Session, clinic_id: int) -> str:
    return settings_of(session, clinic_id).timezone


@dataclass(frozen=True)
class Letterhead:
    """What patients see of the clinic: on the portal, in e-mails, handouts and PDFs."""

    name: str
    address: str | None
    phone: str | None
    email: str | None
    timezone: str


def letterhead(session: Session, clinic_id: int) -> Letterhead:
    clinic = session.get(Clinic, clinic_id)
    if clinic is None:
        raise NotFound(f"clinic {clinic_id} not found")
    s = settings_of(session, clinic_id)
    return Letterhead(clinic.name, s.address, s.phone, s.email, s.timezone)


def _text(value: str | None, limit: int) -> str | None:
    text = (value or "").strip()
    return text[:limit] if text else None


def update_settings(
    session: Session,
    *,
    actor: Actor,
    timezone: str,
    address: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    calendar_names: bool = False,
    link_hours: int = 72,
    reminder_hours: int = 24,
) -> ClinicSettings:
    """Change the actor's clinic settings (administrators); every problem is named at once."""
    require(actor, Perm.MANAGE_USERS)
    return configure(
        session,
        clinic_id=actor.clinic_id,
        actor=actor,
        timezone=timezone,
        address=address,
        phone=phone,
        email=email,
        calendar_names=calendar_names,
        link_hours=link_hours,
        reminder_hours=reminder_hours,
    )


def configure(
    session: Session,
    *,
    clinic_id: int,
    actor: Actor | None,
    timezone: str,
    address: str | None,
    phone: str | None,
    email: str | None,
    calendar_names: bool,
    link_hours: int,
    reminder_hours: int,
) -> ClinicSettings:
    """Validate and store a clinic's settings (the page as its administrator, the CLI at set-up)."""
    problems: list[str] = []
    zone = timezone
    try:
        zone = check_zone(timezone)
    except ValidationFailed as exc:
        problems.append(exc.message)
    phone_text, email_text = _text(phone, 40), _text(email, 200)
    if phone_text and not PHONE.match(phone_text):
        problems.append("phone: digits, spaces and + ( ) - . / only")
    if email_text and not EMAIL.match(email_text):
        problems.append("e-mail: not an e-mail address")
    if not 1 <= link_hours <= 720:
        problems.append("link lifetime: 1 to 720 hours")
    if not 1 <= reminder_hours <= 168:
        problems.append("reminder: 1 to 168 hours before the appointment")
    if problems:
        raise ValidationFailed("invalid clinic settings", details=problems)
    row = settings_of(session, clinic_id)
    before = {"timezone": row.timezone, "calendar_names": row.calendar_names, "link_hours": row.link_hours}
    row.timezone, row.address, row.phone, row.email = zone, _text(address, 500), phone_text, email_text
    row.calendar_names, row.link_hours, row.reminder_hours = calendar_names, link_hours, reminder_hours
    row.updated_at = datetime.now(UTC)
    session.flush()
    after = {"timezone": zone, "calendar_names": calendar_names, "link_hours": link_hours}
    audit.record(
        session,
        actor=actor,
        chain=clinic_id,
        action="update",
        entity="clinic_settings",
        entity_id=clinic_id,
        detail={"changed": sorted(k for k in after if after[k] != before[k])},
    )
    return row
