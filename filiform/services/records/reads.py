"""Read models of a patient's record and of a clinic's day, one audited read per page.

Each public function reads what one page (or API endpoint) shows, with a fixed number of
indexed queries (insertions and circuits of many sessions in one IN query each), returns
the typed views of :mod:`filiform.services.records.views`, and writes exactly one audit
row naming what was read. A page calls one of them once: no page reads the whole record
to show a part of it, and none reads the same thing twice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.errors import ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import patient_of_clinic
from filiform.services.operations import audit
from filiform.services.records import view_rows
from filiform.services.records.views import (
    AdverseEventView,
    ChartInputs,
    ConsentView,
    Dashboard,
    DrawingView,
    EpisodeView,
    Measures,
    OutcomeView,
    PatientHeader,
    RecentEvent,
    RecentSession,
    ScreeningView,
    SessionView,
    Timeline,
)
from filiform.storage.models import (
    AdverseEvent,
    Consent,
    Episode,
    OutcomeResponse,
    PainDrawingRecord,
    Patient,
    Screening,
    TreatmentSession,
)


def _scope(s: Session, actor: Actor, patient_id: int) -> Patient:
    require(actor, Perm.READ_CLINICAL)
    return patient_of_clinic(s, patient_id, actor=actor)


def _read(s: Session, actor: Actor, entity: str, patient_id: int, entity_id: int | None = None) -> None:
    audit.record(s, actor=actor, action="read", entity=entity, entity_id=entity_id or patient_id, patient_id=patient_id)


def session_view(row: TreatmentSession) -> SessionView:
    """A stored session with its needles and its circuits (leads as needle numbers)."""
    return view_rows.assemble(row, row.insertions, row.circuits)


def _episodes(s: Session, patient_id: int) -> tuple[EpisodeView, ...]:
    return view_rows.views_of(s, EpisodeView, Episode, "opened_on", patient_id)


def _drawing(
    s: Session, patient_id: int, drawing_id: int | None, on_or_before: date | None = None
) -> DrawingView | None:
    """The drawing asked for (ValidationFailed if it is not this patient's), else the latest one."""
    stmt = sa.select(PainDrawingRecord).where(PainDrawingRecord.patient_id == patient_id)
    if drawing_id is not None:
        row = s.execute(stmt.where(PainDrawingRecord.id == drawing_id)).scalar_one_or_none()
        if row is None:
            raise ValidationFailed(f"drawing {drawing_id} is not one of this patient's drawings")
        return DrawingView.model_validate(row)
    if on_or_before is not None:
        stmt = stmt.where(PainDrawingRecord.drawn_on <= on_or_before)
    stmt = stmt.order_by(PainDrawingRecord.drawn_on.desc(), PainDrawingRecord.id.desc()).limit(1)
    row = s.execute(stmt).scalar_one_or_none()
    return DrawingView.model_validate(row) if row is not None else None


def timeline(s: Session, *, actor: Actor, patient_id: int) -> Timeline:
    """Everything clinical about one patient, newest first (the patient page, the API)."""
    patient = _scope(s, actor, patient_id)
    result = Timeline(
        patient=PatientHeader.model_validate(patient),
        sessions=view_rows.session_views(s, patient_id),
        episodes=_episodes(s, patient_id),
        drawings=view_rows.views_of(s, DrawingView, PainDrawingRecord, "drawn_on", patient_id),
        outcomes=view_rows.views_of(s, OutcomeView, OutcomeResponse, "completed_on", patient_id),
        adverse_events=view_rows.views_of(s, AdverseEventView, AdverseEvent, "occurred_on", patient_id),
        consents=view_rows.views_of(s, ConsentView, Consent, "consented_on", patient_id),
        screenings=view_rows.views_of(s, ScreeningView, Screening, "screened_at", patient_id),
    )
    _read(s, actor, "timeline", patient_id)
    return result


def episodes(s: Session, *, actor: Actor, patient_id: int) -> tuple[EpisodeView, ...]:
    """The patient's episodes of care (the session form files a session under one)."""
    _scope(s, actor, patient_id)
    found = _episodes(s, patient_id)
    _read(s, actor, "episodes", patient_id)
    return found


def measures(s: Session, *, actor: Actor, patient_id: int) -> Measures:
    """Outcome responses and episodes (the measures page and its trend plots)."""
    _scope(s, actor, patient_id)
    outcomes = view_rows.views_of(s, OutcomeView, OutcomeResponse, "completed_on", patient_id)
    found = Measures(outcomes=outcomes, episodes=_episodes(s, patient_id))
    _read(s, actor, "outcome_responses", patient_id)
    return found


def chart_inputs(s: Session, *, actor: Actor, patient_id: int, drawing_id: int | None = None) -> ChartInputs:
    """The body-chart page: the drawing to start from (only when one is named) and the episodes."""
    _scope(s, actor, patient_id)
    drawing = _drawing(s, patient_id, drawing_id) if drawing_id is not None else None
    found = ChartInputs(drawing=drawing, episodes=_episodes(s, patient_id))
    _read(s, actor, "pain_drawing" if drawing is not None else "episodes", patient_id, drawing_id)
    return found


def _latest_answers(s: Session, patient_id: int) -> dict[str, Any] | None:
    answers: dict[str, Any] | None = s.scalar(
        sa.select(Screening.answers)
        .where(Screening.patient_id == patient_id)
        .order_by(Screening.screened_at.desc(), Screening.id.desc())
        .limit(1)
    )
    return answers


def screening_answers(s: Session, *, actor: Actor, patient_id: int) -> dict[str, Any] | None:
    """The latest screening's answers (None without a screening)."""
    _scope(s, actor, patient_id)
    answers = _latest_answers(s, patient_id)
    _read(s, actor, "screening", patient_id)
    return answers


def planning_inputs(
    s: Session, *, actor: Actor, patient_id: int, drawing_id: int | None
) -> tuple[dict[str, Any] | None, DrawingView | None]:
    """What a plan is built from: the latest screening's answers and the chosen (or latest) drawing."""
    _scope(s, actor, patient_id)
    answers = _latest_answers(s, patient_id)
    drawing = _drawing(s, patient_id, drawing_id)
    _read(s, actor, "planning_inputs", patient_id, drawing.id if drawing else None)
    return answers, drawing


def dashboard(s: Session, *, actor: Actor, today: date | None = None, latest: int = 20) -> Dashboard:
    """Today's sessions, the latest sessions and adverse events, 30-day AE counts.

    Only bounded, index-ordered slices (today, the latest N) are touched, so the cost
    follows the day's activity, not the size of the clinic.
    """
    require(actor, Perm.READ_CLINICAL)
    today = today or datetime.now(UTC).date()
    day_start = datetime.combine(today, time.min, tzinfo=UTC)
    clinic = actor.clinic_id
    todays = s.scalar(
        sa.select(sa.func.count())
        .select_from(TreatmentSession)
        .where(
            TreatmentSession.clinic_id == clinic,
            TreatmentSession.started_at >= day_start,
            TreatmentSession.started_at < day_start + timedelta(days=1),
        )
    )
    recent = s.execute(
        sa.select(
            TreatmentSession.id,
            TreatmentSession.started_at,
            TreatmentSession.patient_id,
            Patient.given_name,
            Patient.family_name,
            TreatmentSession.pain_pre,
            TreatmentSession.pain_post,
        )
        .join(Patient, Patient.id == TreatmentSession.patient_id)
        .where(TreatmentSession.clinic_id == clinic, TreatmentSession.started_at < day_start + timedelta(days=1))
        .order_by(TreatmentSession.started_at.desc())
        .limit(latest)
    ).all()
    events = s.execute(
        sa.select(
            AdverseEvent.id,
            AdverseEvent.occurred_on,
            AdverseEvent.event_type,
            AdverseEvent.severity,
            AdverseEvent.patient_id,
        )
        .where(AdverseEvent.clinic_id == clinic, AdverseEvent.occurred_on <= today)
        .order_by(AdverseEvent.occurred_on.desc(), AdverseEvent.id.desc())
        .limit(latest)
    ).all()
    by_severity: dict[str, int] = {
        severity: count
        for severity, count in s.execute(
            sa.select(AdverseEvent.severity, sa.func.count())
            .where(
                AdverseEvent.clinic_id == clinic,
                AdverseEvent.occurred_on > today - timedelta(days=30),
                AdverseEvent.occurred_on <= today,
            )
            .group_by(AdverseEvent.severity)
        ).all()
    }
    audit.record(s, actor=actor, action="read", entity="dashboard", detail={"sessions": [r.id for r in recent]})
    return Dashboard(
        today=today,
        sessions_today=todays or 0,
        recent_sessions=tuple(RecentSession.model_validate(r) for r in recent),
        recent_adverse_events=tuple(RecentEvent.model_validate(r) for r in events),
        adverse_events_30d=by_severity,
    )
