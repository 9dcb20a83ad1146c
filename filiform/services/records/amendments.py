"""Amend, never overwrite: each change keeps the previous values, who and why.

The row holds the current values; every amendment row stores ``{field: {old, new}}`` and
the version it applied to, so the original is always recoverable (:func:`original`) and a
stale edit (someone amended in between) is a Conflict, not a silent overwrite.

A change is validated exactly as creation validates: the record's current values with the
changes applied go through the record's concept type (``Demographics``, ``SessionDetails``,
``AdverseEventDetails``...), strictly, so an amendment can store nothing a new record could
not (no "banana" for a sex, no 5.5 for a pain score, no 100,000-character e-mail).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.core.concepts import AdverseEventDetails, Demographics, OutcomeDetails, SessionDetails
from filiform.core.concepts.adverse_event import AMENDABLE as EVENT_FIELDS
from filiform.core.concepts.care import CONSENT_AMENDABLE, EPISODE_AMENDABLE, ConsentDetails, EpisodeDetails
from filiform.core.concepts.drawing import stored_regions
from filiform.core.concepts.outcome import AMENDABLE as OUTCOME_FIELDS
from filiform.core.concepts.patient import AMENDABLE as PATIENT_FIELDS
from filiform.core.concepts.session import AMENDABLE as SESSION_FIELDS
from filiform.core.concepts.values import Strict
from filiform.errors import Conflict, PermissionDenied, ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import owned
from filiform.services.operations import audit
from filiform.services.records.drawings import checked_regions
from filiform.services.records.outcomes import scored
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

MIN_REASON = 5
Check = Callable[[Any, dict[str, Any]], dict[str, Any]]


def _valid(concept: type[Strict], row: Any, changes: dict[str, Any]) -> Any:
    """The row's current values with the changes applied, validated as creating it would be."""
    current = {name: getattr(row, name) for name in concept.model_fields if hasattr(row, name)}
    return concept.parse({**current, **changes})


def _through(concept: type[Strict]) -> Check:
    def check(row: Any, changes: dict[str, Any]) -> dict[str, Any]:
        valid = _valid(concept, row, changes)
        return {name: _stored(getattr(valid, name)) for name in changes}

    return check


def _event(row: Any, changes: dict[str, Any]) -> dict[str, Any]:
    valid = _valid(AdverseEventDetails, row, changes)
    return {**{name: _stored(getattr(valid, name)) for name in changes}, "significant": valid.is_significant}


def _drawing(row: Any, changes: dict[str, Any]) -> dict[str, Any]:
    return {"regions": stored_regions(checked_regions(changes["regions"]))}


def _outcome(row: Any, changes: dict[str, Any]) -> dict[str, Any]:
    entered = OutcomeDetails.parse(
        {"instrument_id": row.instrument_id, "answers": changes["answers"], "completed_on": row.completed_on}
    )
    answers, result = scored(entered)
    return {"answers": answers, "total": result.total}


@dataclass(frozen=True)
class Amendable:
    model: Any  # the storage row
    perm: Perm
    fields: frozenset[str]
    check: Check


# Screenings are frozen snapshots: never amended.
AMENDABLE: dict[str, Amendable] = {
    "patient": Amendable(Patient, Perm.WRITE_DEMOGRAPHICS, PATIENT_FIELDS, _through(Demographics)),
    "consent": Amendable(Consent, Perm.AMEND_CLINICAL, CONSENT_AMENDABLE, _through(ConsentDetails)),
    "episode": Amendable(Episode, Perm.AMEND_CLINICAL, EPISODE_AMENDABLE, _through(EpisodeDetails)),
    "pain_drawing": Amendable(PainDrawingRecord, Perm.AMEND_CLINICAL, frozenset({"regions"}), _drawing),
    "treatment_session": Amendable(TreatmentSession, Perm.AMEND_CLINICAL, SESSION_FIELDS, _through(SessionDetails)),
    "adverse_event": Amendable(AdverseEvent, Perm.AMEND_CLINICAL, EVENT_FIELDS, _event),
    "outcome_response": Amendable(OutcomeResponse, Perm.AMEND_CLINICAL, OUTCOME_FIELDS, _outcome),
}


def _stored(value: Any) -> Any:
    return value.value if isinstance(value, StrEnum) else value


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


# Signed records changed only by their author: entity -> the column naming the author.
AUTHORED: dict[str, str] = {"treatment_session": "clinician_id"}


def author_of(entity: str, row: Any) -> int | None:
    column = AUTHORED.get(entity)
    return getattr(row, column) if column else None


def require_author(entity: str, row: Any, actor: Actor) -> None:
    """A signed note is changed by its author only; anyone else proposes (``proposals``)."""
    author = author_of(entity, row)
    if author is not None and author != actor.user_id:
        raise PermissionDenied(
            "only the clinician who signed this note may change it; propose the amendment for them to co-sign"
        )


def current(session: Session, actor: Actor, entity: str, entity_id: int, expected_version: int) -> Any:
    """The record to change, checked for permission, clinic, a void and a stale version."""
    if entity not in AMENDABLE:
        raise ValidationFailed(f"'{entity}' records cannot be amended")
    kind = AMENDABLE[entity]
    require(actor, kind.perm)
    row = owned(session, kind.model, entity_id, actor=actor)
    if getattr(row, "voided_at", None) is not None:
        raise Conflict(f"{entity} {entity_id} is void: a void record is not changed any more")
    if row.version != expected_version:
        raise Conflict(
            f"{entity} {entity_id} is at version {row.version}, not {expected_version}: reload and amend again"
        )
    return row


def checked_changes(entity: str, row: Any, changes: Mapping[str, Any], reason: str) -> dict[str, Any]:
    """The changes validated as creating the record would validate them: ``{field: new}``."""
    kind = AMENDABLE[entity]
    unknown = sorted(set(changes) - kind.fields)
    if unknown or not changes:
        raise ValidationFailed(f"cannot amend these fields of {entity}", details=unknown or ["no changes given"])
    if len(reason.strip()) < MIN_REASON:
        raise ValidationFailed("an amendment needs a reason")
    return kind.check(row, dict(changes))


def write(
    session: Session,
    *,
    actor: Actor,
    entity: str,
    row: Any,
    values: Mapping[str, Any],
    reason: str,
    amended_by: int | None = None,
    cosigned_by: int | None = None,
    noted: Mapping[str, dict[str, Any]] | None = None,
    before_audit: Callable[[Amendment], None] | None = None,
) -> Amendment:
    """Set ``values`` on ``row``, keeping each old value in one amendment row (audited).

    ``noted`` are changes with no column on the row (a file withdrawn); ``before_audit``
    writes rows that belong to the amendment before its audit entry hashes the record.
    """
    diff: dict[str, Any] = dict(noted or {})
    for name, new in values.items():
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
        entity_id=row.id,
        from_version=row.version,
        changes=diff,
        reason=reason.strip(),
        amended_by=amended_by or actor.user_id,
        cosigned_by=cosigned_by,
    )
    row.version += 1
    session.add(amendment)
    session.flush()
    if before_audit is not None:
        before_audit(amendment)
    audit.record(
        session,
        actor=actor,
        action="amend",
        entity=entity,
        entity_id=row.id,
        patient_id=patient_id,
        detail={"amendment_id": amendment.id, "fields": sorted(diff)},
    )
    return amendment


def amend(
    session: Session,
    *,
    actor: Actor,
    entity: str,
    entity_id: int,
    changes: Mapping[str, Any],
    reason: str,
    expected_version: int,
) -> Amendment:
    """Apply ``changes`` to a record, keeping the old values in an amendment row.

    A signed note (a session) is changed by its author only: another clinician's change is
    refused (``PermissionDenied``) and goes through :mod:`.proposals` for the author to co-sign.
    """
    row = current(session, actor, entity, entity_id, expected_version)
    require_author(entity, row, actor)
    values = checked_changes(entity, row, changes, reason)
    return write(session, actor=actor, entity=entity, row=row, values=values, reason=reason)


def history(session: Session, *, actor: Actor, entity: str, entity_id: int) -> list[Amendment]:
    """Amendments of one record, oldest first (audited read)."""
    if entity not in AMENDABLE:
        raise ValidationFailed(f"'{entity}' records have no amendments")
    kind = AMENDABLE[entity]
    require(actor, Perm.READ_CLINICAL if kind.perm != Perm.WRITE_DEMOGRAPHICS else Perm.READ_DEMOGRAPHICS)
    row = owned(session, kind.model, entity_id, actor=actor)
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
