"""Read models: a patient's timeline and a clinic's dashboard, built for flat latency.

Each is a fixed number of indexed queries (no per-row lookups: insertions are loaded for
all sessions in one IN query) and every read is audited.  The dashboard touches only
bounded, index-ordered slices (today, the latest N), so its cost follows the day's
activity, not the size of the clinic.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import patient_of_clinic
from filiform.services.operations import audit
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


def _cols(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: getattr(row, n) for n in names}


def timeline(session: Session, *, actor: Actor, patient_id: int) -> dict[str, Any]:
    """Everything clinical about one patient, newest first (one audited read)."""
    require(actor, Perm.READ_CLINICAL)
    patient = patient_of_clinic(session, patient_id, actor=actor)

    def rows(model: Any, order: Any) -> list[Any]:
        return list(
            session.execute(sa.select(model).where(model.patient_id == patient_id).order_by(order.desc())).scalars()
        )

    sessions = list(
        session.execute(
            sa.select(TreatmentSession)
            .where(TreatmentSession.patient_id == patient_id)
            .options(selectinload(TreatmentSession.insertions))
            .order_by(TreatmentSession.started_at.desc())
        ).scalars()
    )
    result = {
        "patient": _cols(patient, ("id", "mrn", "given_name", "family_name", "birth_date")),
        "sessions": [
            {
                **_cols(
                    s,
                    (
                        "id",
                        "started_at",
                        "clinician_id",
                        "pain_pre",
                        "pain_post",
                        "patient_response",
                        "notes",
                        "override_justification",
                        "version",
                    ),
                ),
                "insertions": [
                    _cols(
                        i,
                        (
                            "seq",
                            "target_id",
                            "side",
                            "technique",
                            "depth_mm",
                            "needle_length_mm",
                            "needle_gauge_mm",
                            "twitch_responses",
                            "retention_s",
                            "electrical",
                        ),
                    )
                    for i in s.insertions
                ],
            }
            for s in sessions
        ],
        "episodes": [
            _cols(e, ("id", "condition", "icd10_codes", "opened_on", "closed_on"))
            for e in rows(Episode, Episode.opened_on)
        ],
        "drawings": [
            _cols(d, ("id", "drawn_on", "regions")) for d in rows(PainDrawingRecord, PainDrawingRecord.drawn_on)
        ],
        "outcomes": [
            _cols(o, ("id", "instrument_id", "total", "completed_on", "source"))
            for o in rows(OutcomeResponse, OutcomeResponse.completed_on)
        ],
        "adverse_events": [
            _cols(a, ("id", "occurred_on", "event_type", "severity", "action_taken", "session_id"))
            for a in rows(AdverseEvent, AdverseEvent.occurred_on)
        ],
        "consents": [
            _cols(c, ("id", "form_version", "consented_on", "withdrawn_on"))
            for c in rows(Consent, Consent.consented_on)
        ],
        "screenings": [_cols(s, ("id", "screened_at", "decision")) for s in rows(Screening, Screening.screened_at)],
    }
    audit.record(session, actor=actor, action="read", entity="timeline", entity_id=patient_id, patient_id=patient_id)
    return result


def dashboard(session: Session, *, actor: Actor, today: date | None = None, latest: int = 20) -> dict[str, Any]:
    """Today's sessions, the latest sessions and adverse events, 30-day AE counts."""
    require(actor, Perm.READ_CLINICAL)
    today = today or datetime.now(UTC).date()
    day_start = datetime.combine(today, time.min, tzinfo=UTC)
    clinic = actor.clinic_id
    todays = session.scalar(
        sa.select(sa.func.count())
        .select_from(TreatmentSession)
        .where(
            TreatmentSession.clinic_id == clinic,
            TreatmentSession.started_at >= day_start,
            TreatmentSession.started_at < day_start + timedelta(days=1),
        )
    )
    recent = (
        session.execute(
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
        )
        .mappings()
        .all()
    )
    events = (
        session.execute(
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
        )
        .mappings()
        .all()
    )
    by_severity: dict[str, int] = dict(
        session.execute(
            sa.select(AdverseEvent.severity, sa.func.count())
            .where(
                AdverseEvent.clinic_id == clinic,
                AdverseEvent.occurred_on > today - timedelta(days=30),
                AdverseEvent.occurred_on <= today,
            )
            .group_by(AdverseEvent.severity)
        ).all()
    )
    audit.record(
        session, actor=actor, action="read", entity="dashboard", detail={"sessions": [r["id"] for r in recent]}
    )
    return {
        "today": today,
        "sessions_today": todays or 0,
        "recent_sessions": [dict(r) for r in recent],
        "recent_adverse_events": [dict(r) for r in events],
        "adverse_events_30d": by_severity,
    }
