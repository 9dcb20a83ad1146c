"""Every amendment of one patient's record, newest first: what changed, from what, who, why.

The amendments themselves are written by :mod:`filiform.services.records.amendments`
(never overwriting: each keeps the old values); this is their patient-wide read for the
amendments page, one audited read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import patient_of_clinic
from filiform.services.operations import audit
from filiform.storage.models import Amendment, User

RECORD_NAMES = {
    "patient": "Demographics",
    "consent": "Consent",
    "episode": "Episode of care",
    "pain_drawing": "Pain drawing",
    "treatment_session": "Session",
    "adverse_event": "Adverse event",
    "outcome_response": "Outcome measure",
}


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class AmendmentEntry:
    id: int
    record: str
    entity: str
    entity_id: int
    from_version: int
    at: datetime
    who: str
    reason: str
    changes: tuple[Change, ...]


def patient_amendments(session: Session, *, actor: Actor, patient_id: int) -> list[AmendmentEntry]:
    """The patient's amendments, newest first (one audited read)."""
    require(actor, Perm.READ_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    stmt = (
        sa.select(Amendment, User.display_name)
        .join(User, User.id == Amendment.amended_by)
        .where(Amendment.patient_id == patient_id, Amendment.clinic_id == actor.clinic_id)
        .order_by(Amendment.amended_at.desc(), Amendment.id.desc())
    )
    out = [
        AmendmentEntry(
            id=row.id,
            record=RECORD_NAMES.get(row.entity, row.entity.replace("_", " ").capitalize()),
            entity=row.entity,
            entity_id=row.entity_id,
            from_version=row.from_version,
            at=row.amended_at,
            who=name,
            reason=row.reason,
            changes=tuple(
                Change(field=k.replace("_", " "), old=v.get("old"), new=v.get("new"))
                for k, v in sorted(row.changes.items())
                if isinstance(v, dict)
            ),
        )
        for row, name in session.execute(stmt)
    ]
    detail = {"rows": len(out)}
    audit.record(session, actor=actor, action="read", entity="amendment_history", patient_id=patient_id, detail=detail)
    return out
