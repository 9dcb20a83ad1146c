"""E-consent: the patient signs the text for the planned techniques; withdrawal from the link.

Signing stores the exact text version and its SHA-256, the typed name, the drawn strokes
and the PDF exactly as rendered, and creates the ``Consent`` record that sessions are
checked against (``obtained_by`` is the staff member who sent the consent link; the note
says it was signed electronically).  Withdrawal ends every consent of the patient that is
still valid: the stricter reading of "I withdraw my consent".  The change to each consent
row is kept as an amendment, so the original stays recoverable.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.core.concepts.care import ConsentDetails
from filiform.core.concepts.clock import local_date
from filiform.core.concepts.values import column_values
from filiform.core.portal.consent_text import ConsentDocument
from filiform.core.portal.signature import check_strokes
from filiform.errors import Conflict, PermissionDenied, ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import owned, patient_of_clinic
from filiform.services.operations import audit
from filiform.services.portal.links import audit_patient, mark_done
from filiform.services.records.clinic_settings import zone_of
from filiform.storage.models import Amendment, Consent, EConsent, PortalLink


def sign(
    session: Session,
    *,
    link: PortalLink,
    document: ConsentDocument,
    typed_name: str,
    strokes: object,
    agreed: bool,
    pdf: bytes,
    now: datetime,
) -> EConsent:
    """Store a signed consent (and its consent record); ValidationFailed names what is missing."""
    if "consent" not in link.forms:
        raise PermissionDenied("this link was not sent for a consent")
    if "consent" in link.done:
        raise Conflict("this consent has already been signed")
    problems = []
    name = " ".join(typed_name.split())
    if not 2 <= len(name) <= 200:
        problems.append("typed_name")
    if not agreed:
        problems.append("agreed")
    try:
        clean = check_strokes(strokes)
    except ValidationFailed:
        problems.append("signature")
    if tuple(link.detail.get("techniques") or ()) != document.techniques:
        problems.append("techniques")
    if problems or not pdf:
        raise ValidationFailed("consent not signed", details=problems or ["pdf"])
    on = local_date(now, zone_of(session, link.clinic_id))
    given = ConsentDetails.parse(  # the same consent type as one recorded in the clinic
        {
            "form_version": document.version,
            "consented_on": on,
            "notes": f"Signed electronically by the patient through link {link.id}; text sha256 {document.sha256[:16]}",
        }
    )
    consent = Consent(
        clinic_id=link.clinic_id,
        patient_id=link.patient_id,
        obtained_by=link.created_by,
        created_by=link.created_by,
        **column_values(given),
    )
    session.add(consent)
    session.flush()
    row = EConsent(
        clinic_id=link.clinic_id,
        patient_id=link.patient_id,
        link_id=link.id,
        consent_id=consent.id,
        text_version=document.version,
        text_sha256=document.sha256,
        techniques=list(document.techniques),
        typed_name=name,
        signature=clean,
        signed_at=now,
        pdf=pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )
    session.add(row)
    session.flush()
    mark_done(session, link, "consent", now)
    audit_patient(session, link, "sign", "e_consent", row.id, {"consent": consent.id, "text_sha256": document.sha256})
    return row


def active_consents(session: Session, patient_id: int, on: datetime) -> list[Consent]:
    stmt = sa.select(Consent).where(Consent.patient_id == patient_id, Consent.withdrawn_on.is_(None))
    return list(session.execute(stmt.order_by(Consent.id)).scalars())


def withdraw(session: Session, *, link: PortalLink, now: datetime) -> int:
    """End every consent of the patient that is still valid; returns how many."""
    on = local_date(now, zone_of(session, link.clinic_id))
    rows = active_consents(session, link.patient_id, now)
    for consent in rows:
        session.add(
            Amendment(
                clinic_id=consent.clinic_id,
                patient_id=consent.patient_id,
                entity="consent",
                entity_id=consent.id,
                from_version=consent.version,
                changes={"withdrawn_on": {"old": None, "new": on.isoformat()}},
                reason=f"withdrawn by the patient through their link (link {link.id})",
                amended_by=link.created_by,
                amended_at=now,
            )
        )
        consent.withdrawn_on, consent.version = on, consent.version + 1
    for e in session.execute(
        sa.select(EConsent).where(EConsent.patient_id == link.patient_id, EConsent.withdrawn_at.is_(None))
    ).scalars():
        e.withdrawn_at = now
    session.flush()
    audit_patient(session, link, "withdraw", "consent", None, {"consents": [c.id for c in rows]})
    return len(rows)


def econsents_of(session: Session, *, actor: Actor, patient_id: int) -> list[EConsent]:
    require(actor, Perm.READ_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    stmt = sa.select(EConsent).where(EConsent.patient_id == patient_id)
    return list(session.execute(stmt.order_by(EConsent.signed_at.desc())).scalars())


def consent_pdf(session: Session, *, actor: Actor, econsent_id: int) -> EConsent:
    """The signed PDF (audited read)."""
    require(actor, Perm.READ_CLINICAL)
    row = owned(session, EConsent, econsent_id, actor=actor)
    audit.record(session, actor=actor, action="read", entity="e_consent", entity_id=row.id, patient_id=row.patient_id)
    return row


def _now() -> datetime:
    return datetime.now(UTC)
