"""Voiding a session and withdrawing a file from it: amendments, never deletions.

Why amendments: a session recorded for the wrong patient, or a recording attached to the
wrong session, must leave the record without leaving the history. A void sets
``voided_at`` and a withdrawal writes an ``attachment_withdrawal`` row, each through one
amendment with its reason, so the page and the PDF show the mark and the history, and the
audit trail keeps both. The author does it (or co-signs another clinician's proposal:
:mod:`.proposals`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.errors import Conflict, ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import owned
from filiform.services.records import amendments
from filiform.storage.models import Amendment, Attachment, AttachmentWithdrawal, TreatmentSession

MIN_REASON = 10
ENTITY = "treatment_session"


def checked_reason(reason: str) -> str:
    text = reason.strip()
    if len(text) < MIN_REASON:
        raise ValidationFailed(f"say why, in at least {MIN_REASON} characters (it is kept with the record)")
    return text


def void(
    session: Session,
    *,
    actor: Actor,
    row: TreatmentSession,
    reason: str,
    amended_by: int | None = None,
    cosigned_by: int | None = None,
    now: datetime | None = None,
) -> Amendment:
    """Mark the session void (the caller has checked authorship and the version)."""
    moment = now or datetime.now(UTC)
    return amendments.write(
        session,
        actor=actor,
        entity=ENTITY,
        row=row,
        values={"voided_at": moment},
        reason=checked_reason(reason),
        amended_by=amended_by,
        cosigned_by=cosigned_by,
    )


def void_session(session: Session, *, actor: Actor, session_id: int, reason: str, expected_version: int) -> Amendment:
    """Void one's own session with a reason (it stays readable, marked void, with its history)."""
    row = amendments.current(session, actor, ENTITY, session_id, expected_version)
    amendments.require_author(ENTITY, row, actor)
    return void(session, actor=actor, row=row, reason=reason)


def attachment_of(session: Session, actor: Actor, attachment_id: int) -> Attachment:
    """The attachment (of the actor's clinic), refused when it is already withdrawn."""
    found = owned(session, Attachment, attachment_id, actor=actor)
    gone = session.scalar(sa.select(AttachmentWithdrawal.id).where(AttachmentWithdrawal.attachment_id == found.id))
    if gone is not None:
        raise Conflict(f"file {attachment_id} was already withdrawn")
    return found


def withdraw(
    session: Session,
    *,
    actor: Actor,
    row: TreatmentSession,
    attachment: Attachment,
    reason: str,
    amended_by: int | None = None,
    cosigned_by: int | None = None,
) -> Amendment:
    """Withdraw a file of the session (the caller has checked authorship and the version)."""
    if attachment.session_id != row.id:
        raise ValidationFailed(f"file {attachment.id} is not attached to session {row.id}")

    def withdrawal(amendment: Amendment) -> None:
        session.add(
            AttachmentWithdrawal(
                session_id=row.id,
                attachment_id=attachment.id,
                amendment_id=amendment.id,
                withdrawn_by=amended_by or actor.user_id,
            )
        )
        session.flush()

    return amendments.write(
        session,
        actor=actor,
        entity=ENTITY,
        row=row,
        values={},
        noted={"attachment": {"old": f"{attachment.kind} file {attachment.id}", "new": "withdrawn"}},
        reason=checked_reason(reason),
        amended_by=amended_by,
        cosigned_by=cosigned_by,
        before_audit=withdrawal,
    )


def withdraw_attachment(
    session: Session, *, actor: Actor, attachment_id: int, reason: str, expected_version: int
) -> Amendment:
    """Withdraw a file from one's own session: pages and the PDF stop showing it."""
    require(actor, Perm.AMEND_CLINICAL)
    attachment = attachment_of(session, actor, attachment_id)
    row = amendments.current(session, actor, ENTITY, attachment.session_id, expected_version)
    amendments.require_author(ENTITY, row, actor)
    return withdraw(session, actor=actor, row=row, attachment=attachment, reason=reason)
