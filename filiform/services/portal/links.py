"""Secure patient links: one-time, expiring, single-patient, bound to the forms sent.

A link's token is exchanged once (on a POST, so a mail scanner that fetches the URL does
not spend it) for a portal session: an HttpOnly cookie whose hash is kept on the link.
From then on the session, not the URL, opens the forms; the URL is refused ("used").
A session ends when the link expires, is revoked, or after an hour without activity.
An optional date-of-birth check comes before anything is shown; five wrong answers lock
the link.  Every patient step is audited as the patient (:func:`audit_patient`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.core.concepts import Technique
from filiform.core.concepts.clock import utc
from filiform.errors import NotFound, PermissionDenied, ValidationFailed
from filiform.locale import LANGUAGES
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import owned, patient_of_clinic
from filiform.services.operations import audit
from filiform.services.portal.tokens import hash_token, new_token, well_formed
from filiform.services.records.clinic_settings import settings_of
from filiform.storage.models import Appointment, Patient, PortalLink

PREVISIT_FORMS = ("intake", "drawing", "consent")
CLINICAL_FORMS = ("aftercare",)
MEASURE_PREFIX = "measure:"
IDLE = timedelta(hours=1)
MAX_DOB_FAILURES = 5


class LinkRefused(NotFound):
    """A link that cannot be used; ``reason`` is for the audit trail, the patient sees one message."""

    code = "link_refused"

    def __init__(self, reason: str) -> None:
        super().__init__("This link cannot be used. Please ask the clinic for a new one.")
        self.reason = reason


@dataclass(frozen=True)
class IssuedLink:
    link: PortalLink
    token: str

    @property
    def path(self) -> str:
        return f"/p/{self.token}"


def _utc(moment: datetime) -> datetime:
    return utc(moment)


def check_forms(forms: list[str], detail: dict[str, Any], home_instruments: set[str]) -> list[str]:
    """The forms, de-duplicated and in a stable order, or ValidationFailed naming each problem."""
    problems: list[str] = []
    clean = list(dict.fromkeys(f.strip() for f in forms if f.strip()))
    for form in clean:
        if form.startswith(MEASURE_PREFIX):
            if form[len(MEASURE_PREFIX) :] not in home_instruments:
                problems.append(f"{form}: not a questionnaire patients can fill in at home")
        elif form not in PREVISIT_FORMS + CLINICAL_FORMS:
            problems.append(f"unknown form '{form[:40]}'")
    if not clean:
        problems.append("choose at least one form to send")
    if "consent" in clean or "aftercare" in clean:
        techniques = detail.get("techniques") or []
        try:
            [Technique(t) for t in techniques]
        except ValueError:
            problems.append("unknown technique in the consent")
        if not techniques:
            problems.append("name the planned techniques for the consent and the aftercare advice")
    if "aftercare" in clean and not detail.get("condition"):
        problems.append("choose the condition for the aftercare handout")
    if problems:
        raise ValidationFailed("invalid patient link", details=problems)
    return clean


def _needs(actor: Actor, forms: list[str]) -> None:
    clinical = any(f in CLINICAL_FORMS or f.startswith(MEASURE_PREFIX) for f in forms)
    if clinical:
        require(actor, Perm.WRITE_CLINICAL)
    elif not (actor.can(Perm.WRITE_DEMOGRAPHICS) or actor.can(Perm.WRITE_CLINICAL)):
        raise PermissionDenied(f"role '{actor.role.value}' may not send patient forms")


def issue(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    forms: list[str],
    detail: dict[str, Any],
    home_instruments: set[str],
    now: datetime,
    dob_check: bool = False,
    lang: str | None = None,
    appointment_id: int | None = None,
) -> IssuedLink:
    """A new link for one patient and the chosen forms; the token is returned once, never stored."""
    clean = check_forms(forms, detail, home_instruments)
    _needs(actor, clean)
    patient_of_clinic(session, patient_id, actor=actor)
    if appointment_id is not None and owned(session, Appointment, appointment_id, actor=actor).patient_id != patient_id:
        raise ValidationFailed(f"appointment {appointment_id} belongs to another patient")
    issued = create(
        session,
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        created_by=actor.user_id,
        forms=clean,
        detail=detail,
        now=now,
        dob_check=dob_check,
        lang=lang,
        appointment_id=appointment_id,
    )
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="portal_link",
        entity_id=issued.link.id,
        patient_id=patient_id,
        detail={"forms": clean, "expires_at": issued.link.expires_at.isoformat(), "dob_check": dob_check},
    )
    return issued


def create(
    session: Session,
    *,
    clinic_id: int,
    patient_id: int,
    created_by: int,
    forms: list[str],
    detail: dict[str, Any],
    now: datetime,
    dob_check: bool = False,
    lang: str | None = None,
    appointment_id: int | None = None,
) -> IssuedLink:
    """The link row (callers check permissions and forms first; the scheduler calls this)."""
    hours = settings_of(session, clinic_id).link_hours
    token, digest = new_token()
    row = PortalLink(
        clinic_id=clinic_id,
        patient_id=patient_id,
        token_hash=digest,
        forms=list(forms),
        detail=dict(detail),
        done=[],
        dob_check=dob_check,
        lang=lang if lang in LANGUAGES else None,
        appointment_id=appointment_id,
        created_by=created_by,
        created_at=now,
        expires_at=_utc(now) + timedelta(hours=hours),
    )
    session.add(row)
    session.flush()
    return IssuedLink(row, token)


def audit_patient(
    session: Session,
    link: PortalLink,
    action: str,
    entity: str,
    entity_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """One audit entry for something the patient did through ``link`` (no user account)."""
    audit.record(
        session,
        actor=None,
        chain=link.clinic_id,
        action=f"patient_{action}",
        entity=entity,
        entity_id=entity_id,
        patient_id=link.patient_id,
        detail={"by": "patient", "link": link.id, **(detail or {})},
    )


def _state(link: PortalLink, now: datetime) -> str | None:
    """Why the link cannot be used now, or None."""
    if link.revoked_at is not None:
        return "revoked"
    if link.failed_checks >= MAX_DOB_FAILURES:
        return "locked"
    if _utc(link.expires_at) <= now:
        return "expired"
    return None


def find(session: Session, token: str, now: datetime) -> PortalLink:
    """The unspent link for ``token`` (LinkRefused otherwise; a refused known link is audited)."""
    link = (
        session.execute(sa.select(PortalLink).where(PortalLink.token_hash == hash_token(token))).scalar_one_or_none()
        if well_formed(token)
        else None
    )
    if link is None:
        raise LinkRefused("unknown")
    reason = _state(link, _utc(now)) or ("used" if link.opened_at is not None else None)
    if reason is not None:
        audit_patient(session, link, "refused", "portal_link", link.id, {"reason": reason})
        raise LinkRefused(reason)
    return link


def check_birth_date(session: Session, link: PortalLink, birth_date: date | None) -> int | None:
    """None when the link needs no check or the date matches; else the tries left (this one counted).

    Counted and audited in the caller's transaction, which must commit even though the
    patient is refused: otherwise a guesser would get unlimited tries.
    """
    if not link.dob_check:
        return None
    patient = session.get(Patient, link.patient_id)
    if patient is not None and birth_date == patient.birth_date:
        return None
    link.failed_checks += 1
    session.flush()
    left = max(MAX_DOB_FAILURES - link.failed_checks, 0)
    audit_patient(session, link, "refused", "portal_link", link.id, {"reason": "birth_date", "left": left})
    return left


def begin(session: Session, *, link: PortalLink, now: datetime) -> str:
    """Spend the token (after :func:`find` and :func:`check_birth_date`): open a portal session."""
    session_token, digest = new_token()
    link.opened_at, link.session_hash, link.session_seen_at = now, digest, now
    session.flush()
    audit_patient(session, link, "open", "portal_link", link.id)
    return session_token


def current(session: Session, *, session_token: str, now: datetime) -> PortalLink | None:
    """The link behind a portal session cookie, while the session is alive."""
    if not well_formed(session_token):
        return None
    link = session.execute(
        sa.select(PortalLink).where(PortalLink.session_hash == hash_token(session_token))
    ).scalar_one_or_none()
    if link is None or _state(link, _utc(now)) is not None:
        return None
    if link.session_seen_at is None or _utc(link.session_seen_at) + IDLE <= _utc(now):
        return None
    link.session_seen_at = now
    return link


def mark_done(session: Session, link: PortalLink, form: str, now: datetime) -> None:
    if form not in link.forms:
        raise PermissionDenied("this link was not sent for that form")
    if form not in link.done:
        link.done = [*link.done, form]
    if set(link.forms) <= set(link.done) and link.completed_at is None:
        link.completed_at = now
    session.flush()


def end_session(session: Session, link: PortalLink) -> None:
    link.session_hash = None
    session.flush()
    audit_patient(session, link, "close", "portal_link", link.id)


def revoke(session: Session, *, actor: Actor, link_id: int, now: datetime) -> PortalLink:
    """Stop a link (and its session) at once."""
    if not (actor.can(Perm.WRITE_DEMOGRAPHICS) or actor.can(Perm.WRITE_CLINICAL)):
        raise PermissionDenied(f"role '{actor.role.value}' may not revoke patient links")
    link = owned(session, PortalLink, link_id, actor=actor)
    if link.revoked_at is None:
        link.revoked_at, link.revoked_by, link.session_hash = now, actor.user_id, None
        session.flush()
        audit.record(
            session, actor=actor, action="revoke", entity="portal_link", entity_id=link.id, patient_id=link.patient_id
        )
    return link


def links_of(session: Session, *, actor: Actor, patient_id: int) -> list[PortalLink]:
    require(actor, Perm.READ_DEMOGRAPHICS)
    patient_of_clinic(session, patient_id, actor=actor)
    stmt = sa.select(PortalLink).where(PortalLink.patient_id == patient_id, PortalLink.clinic_id == actor.clinic_id)
    return list(session.execute(stmt.order_by(PortalLink.created_at.desc(), PortalLink.id.desc())).scalars())


def status_of(link: PortalLink, now: datetime) -> str:
    """A word for the staff list: revoked, locked, expired, completed, opened or waiting."""
    state = _state(link, _utc(now))
    if state:
        return state
    if link.completed_at is not None:
        return "completed"
    return "opened" if link.opened_at is not None else "waiting"
