"""Amend, never overwrite: each change keeps the previous values, who and why.

The row holds the current values; every amendment row stores ``{field: {old, new}}`` and
the version it applied to, so the original is always recoverable (:func:`original`) and a
stale edit (someone amended in between) is a Conflict, not a silent overwrite.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.errors import Conflict, ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import owned
from filiform.services.operations import audit
from filiform.services.records.clinical import check_regions
from filiform.storage import vocab
from filiform.storage.models import (
    AdverseEvent,
    Amendment,
    Consent,
    Episode,
    OutcomeResponse,
    PainDrawingRecord,
    Patient,
    TreatmentSession,
)

# entity -> (model, permission, amendable fields); screenings are frozen snapshots.
AMENDABLE: dict[str, tuple[Any, Perm, frozenset[str]]] = {
    "patient": (
        Patient,
        Perm.WRITE_DEMOGRAPHICS,
        frozenset({"given_name", "family_name", "birth_date", "sex", "phone", "email"}),
    ),
    "consent": (Consent, Perm.AMEND_CLINICAL, frozenset({"withdrawn_on", "notes"})),
    "episode": (Episode, Perm.AMEND_CLINICAL, frozenset({"condition", "icd10_codes", "plan", "closed_on"})),
    "pain_drawing": (PainDrawingRecord, Perm.AMEND_CLINICAL, frozenset({"regions"})),
    "treatment_session": (
        TreatmentSession,
        Perm.AMEND_CLINICAL,
        frozenset({"pain_pre", "pain_post", "patient_response", "notes"}),
    ),
    "adverse_event": (
        AdverseEvent,
        Perm.AMEND_CLINICAL,
        frozenset({"severity", "significant", "duration", "action_taken", "causality", "description"}),
    ),
    "outcome_response": (OutcomeResponse, Perm.AMEND_CLINICAL, frozenset({"answers", "total"})),
}
DATE_FIELDS = frozenset({"birth_date", "withdrawn_on", "closed_on"})
MIN_REASON = 5


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _coerce(entity: str, name: str, value: Any) -> Any:
    if name in DATE_FIELDS and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationFailed(f"{name}: not an ISO date: {value!r}") from exc
    if name == "regions":
        return check_regions(value)
    if name in ("pain_pre", "pain_post") and value is not None and not 0 <= value <= 10:
        raise ValidationFailed(f"{name} must be 0-10")
    if entity == "adverse_event" and name in ("severity", "action_taken", "causality"):
        allowed = {"severity": vocab.SEVERITIES, "action_taken": vocab.AE_ACTIONS, "causality": vocab.AE_CAUSALITY}[
            name
        ]
        if value not in allowed:
            raise ValidationFailed(f"{name} must be one of {', '.join(allowed)}")
    return value


def amend(
    session: Session,
    *,
    actor: Actor,
    entity: str,
    entity_id: int,
    changes: dict[str, Any],
    reason: str,
    expected_version: int,
) -> Amendment:
    """Apply ``changes`` to a record, keeping the old values in an amendment row."""
    if entity not in AMENDABLE:
        raise ValidationFailed(f"'{entity}' records cannot be amended")
    model, perm, fields = AMENDABLE[entity]
    require(actor, perm)
    row = owned(session, model, entity_id, actor=actor)
    unknown = sorted(set(changes) - fields)
    if unknown or not changes:
        raise ValidationFailed(f"cannot amend these fields of {entity}", details=unknown or ["no changes given"])
    if len(reason.strip()) < MIN_REASON:
        raise ValidationFailed("an amendment needs a reason")
    if row.version != expected_version:
        raise Conflict(
            f"{entity} {entity_id} is at version {row.version}, not {expected_version}: reload and amend again"
        )
    if (
        entity == "adverse_event"
        and row.event_type in vocab.ALWAYS_MAJOR
        and changes.get("severity", "major") != "major"
    ):
        raise ValidationFailed(f"{row.event_type} is always a major adverse event")
    diff: dict[str, Any] = {}
    for name, value in changes.items():
        new = _coerce(entity, name, value)
        old = getattr(row, name)
        if old != new:
            diff[name] = {"old": _jsonable(old), "new": _jsonable(new)}
            setattr(row, name, new)
    if not diff:
        raise ValidationFailed("the amendment changes nothing")
    patient_id = row.id if entity == "patient" else row.patient_id
    amendment = Amendment(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        entity=entity,
        entity_id=entity_id,
        from_version=row.version,
        changes=diff,
        reason=reason.strip(),
        amended_by=actor.user_id,
    )
    row.version += 1
    session.add(amendment)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="amend",
        entity=entity,
        entity_id=entity_id,
        patient_id=patient_id,
        detail={"amendment_id": amendment.id, "fields": sorted(diff)},
    )
    return amendment


def history(session: Session, *, actor: Actor, entity: str, entity_id: int) -> list[Amendment]:
    """Amendments of one record, oldest first (audited read)."""
    if entity not in AMENDABLE:
        raise ValidationFailed(f"'{entity}' records have no amendments")
    model, perm, _ = AMENDABLE[entity]
    require(actor, Perm.READ_CLINICAL if perm != Perm.WRITE_DEMOGRAPHICS else Perm.READ_DEMOGRAPHICS)
    row = owned(session, model, entity_id, actor=actor)
    rows = list(
        session.execute(
            sa.select(Amendment)
            .where(Amendment.entity == entity, Amendment.entity_id == entity_id)
            .order_by(Amendment.id)
        ).scalars()
    )
    audit.record(
        session,
        actor=actor,
        action="read",
        entity=f"{entity}_history",
        entity_id=entity_id,
        patient_id=row.id if entity == "patient" else row.patient_id,
    )
    return rows


def original(current: dict[str, Any], amendments: list[Amendment]) -> dict[str, Any]:
    """Undo amendments newest-first to recover the record as first written."""
    values = dict(current)
    for amendment in reversed(amendments):
        for name, change in amendment.changes.items():
            values[name] = change["old"]
    return values
