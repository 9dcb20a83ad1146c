"""One session as recorded: what it was done under and what happened to it since.

One audited read per view of the session page or its PDF note (``treatment_session``),
a fixed number of indexed queries. The drawing is the one the session names; a session
recorded before sessions named theirs shows the latest drawing of its day or before that
already existed when the session was saved (``created_at``), so a drawing added later
never changes an old note either.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from filiform.core.concepts.clock import local_date
from filiform.core.hrv.session import SessionAnalysis
from filiform.core.safety.decision import Decision, ScreeningResult
from filiform.errors import NotFound
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import patient_of_clinic
from filiform.services.operations import audit
from filiform.services.records import proposals, recordings
from filiform.services.records.clinic_settings import letterhead
from filiform.services.records.plans import anticoagulated, intake_from
from filiform.services.records.reads import session_view
from filiform.services.records.session_views import (
    ChangeLine,
    HistoryEntry,
    Letterhead,
    OverrideView,
    PlanBasis,
    ProposalView,
    RecordingItem,
    ScreeningSummary,
    SessionRecord,
)
from filiform.services.records.views import AdverseEventView, ConsentView, DrawingView, EpisodeView
from filiform.storage.models import (
    AdverseEvent,
    Amendment,
    Consent,
    Episode,
    PainDrawingRecord,
    Screening,
    TreatmentSession,
    User,
)

FIELD_WORDS = {
    "pain_pre": "Pain before",
    "pain_post": "Pain after",
    "patient_response": "Response",
    "notes": "Notes",
    "attachment": "File",
}


def _row(s: Session, patient_id: int, session_id: int) -> TreatmentSession:
    row = s.execute(
        sa.select(TreatmentSession)
        .where(TreatmentSession.id == session_id, TreatmentSession.patient_id == patient_id)
        .options(
            selectinload(TreatmentSession.insertions),
            selectinload(TreatmentSession.circuits),
            selectinload(TreatmentSession.overrides),
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound(f"session {session_id} not found for this patient")
    return row


def _drawing(s: Session, row: TreatmentSession, zone: str) -> tuple[DrawingView | None, str]:
    if row.drawing_id is not None:
        found = s.get(PainDrawingRecord, row.drawing_id)
        return (DrawingView.model_validate(found) if found is not None else None), "recorded"
    if row.plan is not None:
        return None, "recorded"  # recorded with no drawing
    legacy = s.execute(
        sa.select(PainDrawingRecord)
        .where(
            PainDrawingRecord.patient_id == row.patient_id,
            PainDrawingRecord.drawn_on <= local_date(row.started_at, zone),
            PainDrawingRecord.created_at <= row.created_at + timedelta(seconds=1),
        )
        .order_by(PainDrawingRecord.drawn_on.desc(), PainDrawingRecord.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return (DrawingView.model_validate(legacy) if legacy is not None else None), "by_date"


def _screening(s: Session, row: TreatmentSession) -> ScreeningSummary | None:
    found = s.get(Screening, row.screening_id)
    if found is None:
        return None
    used = sorted({i.technique for i in row.insertions})
    try:
        result = ScreeningResult.model_validate(found.decision)
    except ValueError:
        return ScreeningSummary(
            id=found.id, screened_at=found.screened_at, level="do_not_needle", per_technique={}, blocking=()
        )
    per: dict[str, str] = {}
    for technique in used:
        try:
            per[technique] = result.for_technique(technique).decision.value
        except (KeyError, ValueError):
            per[technique] = Decision.DO_NOT_NEEDLE.value  # not assessed: the stricter reading
    intake, _ = intake_from(found.answers)
    return ScreeningSummary(
        id=found.id,
        screened_at=found.screened_at,
        level=result.decision.value,
        per_technique=per,
        blocking=tuple(r.shown for r in result.blocking_reasons()),
        anticoagulated=anticoagulated(intake),
    )


def _kind(changes: dict[str, Any]) -> str:
    if "voided_at" in changes:
        return "voided"
    if "attachment" in changes:
        return "withdrawn"
    return "amended"


def _line(name: str, change: dict[str, Any]) -> ChangeLine:
    if name == "voided_at":  # the time is the amendment's own; the change is the status
        return ChangeLine(field="Status", old="signed", new="void")
    return ChangeLine(field=FIELD_WORDS.get(name, name), old=change.get("old"), new=change.get("new"))


def _history(s: Session, row: TreatmentSession) -> tuple[list[Amendment], list[Any]]:
    found = list(
        s.execute(
            sa.select(Amendment)
            .where(Amendment.entity == "treatment_session", Amendment.entity_id == row.id)
            .order_by(Amendment.id)
        ).scalars()
    )
    return found, proposals.open_for(s, row.id)


def _names(s: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {uid: name for uid, name in s.execute(sa.select(User.id, User.display_name).where(User.id.in_(wanted)))}


def session_record(s: Session, *, actor: Actor, patient_id: int, session_id: int) -> SessionRecord:
    """The session with everything its page and note show (one audited read)."""
    require(actor, Perm.READ_CLINICAL)
    patient_of_clinic(s, patient_id, actor=actor)
    row = _row(s, patient_id, session_id)
    head = letterhead(s, actor.clinic_id)
    zone = row.recorded_zone or head.timezone
    drawing, basis = _drawing(s, row, zone)
    amended, waiting = _history(s, row)
    names = _names(
        s,
        {row.clinician_id}
        | {a.amended_by for a in amended}
        | {a.cosigned_by for a in amended}
        | {p.proposed_by for p in waiting},
    )
    events = s.execute(
        sa.select(AdverseEvent)
        .where(AdverseEvent.patient_id == patient_id, AdverseEvent.session_id == session_id)
        .order_by(AdverseEvent.id)
    ).scalars()
    consent = s.get(Consent, row.consent_id)
    episode = s.get(Episode, row.episode_id) if row.episode_id is not None else None
    record = SessionRecord(
        session=session_view(row),
        clinician=names.get(row.clinician_id, "?"),
        clinician_id=row.clinician_id,
        zone=zone,
        letterhead=Letterhead(name=head.name, address=head.address, phone=head.phone, email=head.email),
        events=tuple(AdverseEventView.model_validate(e) for e in events),
        drawing=drawing,
        drawing_basis=basis,
        screening=_screening(s, row),
        consent=ConsentView.model_validate(consent) if consent is not None else None,
        diagnosis=EpisodeView.model_validate(episode) if episode is not None else None,
        plan=PlanBasis.model_validate(row.plan) if row.plan is not None else None,
        ultrasound_guided=row.ultrasound_guided,
        overrides=tuple(OverrideView.model_validate(o) for o in row.overrides),
        legacy_override=row.override_justification,
        history=tuple(
            HistoryEntry(
                id=a.id,
                kind=_kind(a.changes),
                at=a.amended_at,
                by=names.get(a.amended_by, "?"),
                cosigned_by=names.get(a.cosigned_by) if a.cosigned_by is not None else None,
                reason=a.reason,
                changes=tuple(_line(k, v) for k, v in a.changes.items()),
            )
            for a in amended
        ),
        proposals=tuple(
            ProposalView(
                id=p.id,
                kind=p.changes.get("kind", "amend"),
                proposed_by=names.get(p.proposed_by, "?"),
                proposed_at=p.proposed_at,
                reason=p.reason,
                changes=p.changes,
            )
            for p in waiting
        ),
        recordings=tuple(RecordingItem.model_validate(r, from_attributes=True) for r in recordings.listed(s, row.id)),
    )
    audit.record(s, actor=actor, action="read", entity="treatment_session", entity_id=session_id, patient_id=patient_id)
    return record


def session_analysis(s: Session, *, actor: Actor, patient_id: int, session_id: int) -> SessionAnalysis | None:
    """The stored analysis of the session's recording (no computation; the caller has read
    the session record, whose audit entry covers its files)."""
    require(actor, Perm.READ_CLINICAL)
    patient_of_clinic(s, patient_id, actor=actor)
    return recordings.stored_analysis(s, session_id)


def clinician_name(s: Session, actor: Actor) -> str:
    """The signed-in user's name as documents print it (handouts, notes)."""
    return _names(s, {actor.user_id}).get(actor.user_id, "")
