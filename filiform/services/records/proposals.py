"""Changes to another clinician's signed note: proposed, then co-signed by its author.

Why: a signed note is changed only by its author. Another clinician who finds an error
proposes the change (an edit of the amendable fields, a void, or withdrawing a file); it is
validated at once, as the change itself would be, and waits. The author co-signs it (it is
then applied as an amendment naming both: ``amended_by`` the proposer, ``cosigned_by`` the
author) or declines it. When the author no longer works at the clinic, any other active
clinician may co-sign, never the proposer. Every step is audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.errors import Conflict, PermissionDenied, ValidationFailed
from filiform.services.access.context import Actor, Perm, Role, require
from filiform.services.access.scope import owned
from filiform.services.operations import audit
from filiform.services.records import amendments, session_changes
from filiform.storage.models import Amendment, AmendmentProposal, TreatmentSession, User

Kind = Literal["amend", "void", "withdraw"]
ENTITY = "treatment_session"


def _row(session: Session, actor: Actor, session_id: int, expected_version: int) -> TreatmentSession:
    row = amendments.current(session, actor, ENTITY, session_id, expected_version)
    assert isinstance(row, TreatmentSession)
    return row


def _checked(session: Session, actor: Actor, row: TreatmentSession, change: dict[str, Any], reason: str) -> None:
    """Refuse now what applying the change would refuse later."""
    kind = change.get("kind")
    if kind == "amend":
        amendments.checked_changes(ENTITY, row, change.get("fields") or {}, reason)
    elif kind == "withdraw":
        found = session_changes.attachment_of(session, actor, int(change.get("attachment_id") or 0))
        if found.session_id != row.id:
            raise ValidationFailed(f"file {found.id} is not attached to session {row.id}")
    elif kind != "void":
        raise ValidationFailed("a proposal amends fields, voids the session or withdraws a file")
    session_changes.checked_reason(reason)


def propose(
    session: Session,
    *,
    actor: Actor,
    session_id: int,
    change: dict[str, Any],
    reason: str,
    expected_version: int,
) -> AmendmentProposal:
    """Propose a change to another clinician's session (``{"kind": "amend", "fields": {...}}``,
    ``{"kind": "void"}`` or ``{"kind": "withdraw", "attachment_id": n}``)."""
    row = _row(session, actor, session_id, expected_version)
    if amendments.author_of(ENTITY, row) == actor.user_id:
        raise ValidationFailed("this is your own note: amend it directly")
    _checked(session, actor, row, change, reason)
    proposal = AmendmentProposal(
        clinic_id=actor.clinic_id,
        patient_id=row.patient_id,
        entity=ENTITY,
        entity_id=row.id,
        from_version=row.version,
        changes=dict(change),
        reason=reason.strip(),
        proposed_by=actor.user_id,
    )
    session.add(proposal)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="amendment_proposal",
        entity_id=proposal.id,
        patient_id=row.patient_id,
        detail={"session_id": row.id, "kind": change.get("kind")},
    )
    return proposal


def _may_decide(session: Session, actor: Actor, proposal: AmendmentProposal, row: TreatmentSession) -> None:
    require(actor, Perm.AMEND_CLINICAL)
    if proposal.outcome is not None:
        raise Conflict(f"proposal {proposal.id} was already {proposal.outcome}")
    if actor.user_id == proposal.proposed_by:
        raise PermissionDenied("a proposal is co-signed by someone other than the clinician who proposed it")
    author = session.get(User, row.clinician_id)
    author_present = author is not None and author.active and author.role == Role.CLINICIAN.value
    if author_present and actor.user_id != row.clinician_id:
        raise PermissionDenied("only the clinician who signed this note may co-sign a change to it")


def _decided(
    session: Session, actor: Actor, proposal: AmendmentProposal, outcome: str, amendment: Amendment | None
) -> None:
    proposal.outcome = outcome
    proposal.decided_by = actor.user_id
    proposal.decided_at = datetime.now(UTC)
    proposal.amendment_id = amendment.id if amendment is not None else None
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="amend",
        entity="amendment_proposal",
        entity_id=proposal.id,
        patient_id=proposal.patient_id,
        detail={"outcome": outcome, "amendment_id": proposal.amendment_id},
    )


def cosign(session: Session, *, actor: Actor, proposal_id: int) -> Amendment:
    """Apply a proposal as an amendment naming the proposer and the co-signer."""
    proposal = owned(session, AmendmentProposal, proposal_id, actor=actor)
    row = _row(session, actor, proposal.entity_id, proposal.from_version)
    _may_decide(session, actor, proposal, row)
    change, by = proposal.changes, proposal.proposed_by
    if change["kind"] == "void":
        amendment = session_changes.void(
            session, actor=actor, row=row, reason=proposal.reason, amended_by=by, cosigned_by=actor.user_id
        )
    elif change["kind"] == "withdraw":
        attachment = session_changes.attachment_of(session, actor, int(change["attachment_id"]))
        amendment = session_changes.withdraw(
            session,
            actor=actor,
            row=row,
            attachment=attachment,
            reason=proposal.reason,
            amended_by=by,
            cosigned_by=actor.user_id,
        )
    else:
        values = amendments.checked_changes(ENTITY, row, change["fields"], proposal.reason)
        amendment = amendments.write(
            session,
            actor=actor,
            entity=ENTITY,
            row=row,
            values=values,
            reason=proposal.reason,
            amended_by=by,
            cosigned_by=actor.user_id,
        )
    _decided(session, actor, proposal, "cosigned", amendment)
    return amendment


def decline(session: Session, *, actor: Actor, proposal_id: int) -> AmendmentProposal:
    """Close a proposal without applying it (it stays, with who declined it and when)."""
    proposal = owned(session, AmendmentProposal, proposal_id, actor=actor)
    row = owned(session, TreatmentSession, proposal.entity_id, actor=actor)
    _may_decide(session, actor, proposal, row)
    _decided(session, actor, proposal, "declined", None)
    return proposal


def open_for(session: Session, session_id: int) -> list[AmendmentProposal]:
    """The session's proposals still waiting (the caller has scoped and audited the read)."""
    return list(
        session.execute(
            sa.select(AmendmentProposal)
            .where(
                AmendmentProposal.entity == ENTITY,
                AmendmentProposal.entity_id == session_id,
                AmendmentProposal.outcome.is_(None),
            )
            .order_by(AmendmentProposal.id)
        ).scalars()
    )
