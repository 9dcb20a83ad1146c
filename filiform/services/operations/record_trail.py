"""One patient's audit trail: who saw and who changed which part of the record, and when.

Reads the clinic's audit chain (written by :mod:`.audit`) by the indexed ``patient_id``
and names each user; it never changes an entry.  Showing the trail is itself audited, so
looking at who looked is on the trail too.  Only roles that may read the audit log see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import patient_of_clinic
from filiform.services.operations import audit
from filiform.storage.models import AuditLog, User

MAX_ROWS = 1000
ACTIONS = {
    "read": "viewed",
    "create": "recorded",
    "amend": "corrected",
    "delete": "deleted",
    "access": "opened",
    "export": "exported",
    "safety_override": "overrode a safety block on",
    "review": "reviewed",
    "set_aside": "set aside",
    "update": "changed",
}
THINGS = {
    "patient": "demographics",
    "treatment_session": "a session",
    "outcome_response": "an outcome measure",
    "pain_drawing": "a pain drawing",
    "episode_plan": "a saved plan",
    "form_draft": "their unsaved draft",
    "http": "a page",
    "audit_trail": "this audit trail",
}


@dataclass(frozen=True)
class TrailEntry:
    at: datetime
    who: str
    role: str | None
    action: str
    what: str
    entity: str
    entity_id: int | None
    client: str | None

    @property
    def words(self) -> str:
        return f"{ACTIONS.get(self.action, self.action.replace('_', ' '))} {self.what}"


def _what(entity: str, entity_id: int | None) -> str:
    thing = THINGS.get(entity, entity.replace("_", " "))
    return f"{thing} #{entity_id}" if entity_id is not None and entity not in ("patient", "http") else thing


def patient_trail(
    session: Session, *, actor: Actor, patient_id: int, pages: bool = False, limit: int = 300
) -> list[TrailEntry]:
    """The newest ``limit`` entries about the patient (page requests only when ``pages``)."""
    require(actor, Perm.READ_AUDIT)
    patient_of_clinic(session, patient_id, actor=actor)
    stmt = sa.select(AuditLog).where(AuditLog.chain == actor.clinic_id, AuditLog.patient_id == patient_id)
    if not pages:
        stmt = stmt.where(AuditLog.action != "access")
    rows = list(session.execute(stmt.order_by(AuditLog.seq.desc()).limit(max(1, min(limit, MAX_ROWS)))).scalars())
    ids = {r.user_id for r in rows if r.user_id is not None}
    names = {uid: name for uid, name in session.execute(sa.select(User.id, User.display_name).where(User.id.in_(ids)))}
    audit.record(
        session, actor=actor, action="read", entity="audit_trail", patient_id=patient_id, detail={"rows": len(rows)}
    )
    return [
        TrailEntry(
            at=datetime.fromisoformat(r.at),
            who=names.get(r.user_id, "system") if r.user_id is not None else "system",
            role=r.role,
            action=r.action,
            what=_what(r.entity, r.entity_id),
            entity=r.entity,
            entity_id=r.entity_id,
            client=r.client,
        )
        for r in rows
    ]
