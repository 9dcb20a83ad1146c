"""Typed read models: what pages, the API and exports read about a patient's record.

Each is built from storage rows (``from_attributes``) by :mod:`filiform.services.records.reads`
and is what the API returns (its response models) and the templates show, so a field
renamed here is renamed everywhere at once instead of silently vanishing from a dict.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict

from filiform.core.concepts.drawing import DrawnRegion, read_regions


class View(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)


class PatientView(View):
    id: int
    version: int
    mrn: str
    given_name: str
    family_name: str
    birth_date: date
    sex: str
    phone: str | None
    email: str | None


class InsertionView(View):
    seq: int
    target_id: str
    side: str
    technique: str
    depth_mm: float
    needle_length_mm: float
    needle_gauge_mm: float
    twitch_responses: int
    retention_s: int


class CircuitView(View):
    """One lead pair; ``lead_b`` is None only for circuits migrated from per-needle settings."""

    seq: int
    label: str
    lead_a: int  # needle number (insertion ``seq``) in the session
    lead_b: int | None
    frequency_hz: float | None
    pulse_width_us: float | None
    intensity_ma: float | None
    duration_s: float | None
    migrated_from: str | None


class SessionView(View):
    id: int
    started_at: datetime
    clinician_id: int
    pain_pre: int | None
    pain_post: int | None
    patient_response: str | None
    notes: str | None
    override_justification: str | None
    version: int
    insertions: tuple[InsertionView, ...]
    circuits: tuple[CircuitView, ...] = ()
    voided_at: datetime | None = None  # a void amendment's mark (the session stays readable)


class EpisodeView(View):
    id: int
    condition: str
    icd10_codes: list[str]
    opened_on: date
    closed_on: date | None


def _regions(value: Any) -> Any:
    return read_regions(value) if isinstance(value, list) else value


class DrawingView(View):
    """A stored drawing, read back through the type it was written from."""

    id: int
    drawn_on: date
    regions: Annotated[tuple[DrawnRegion, ...], BeforeValidator(_regions)]
    episode_id: int | None = None

    @property
    def worst(self) -> int:
        return max((r.intensity for r in self.regions), default=0)


class OutcomeView(View):
    id: int
    instrument_id: str
    total: float | None
    completed_on: date
    source: str  # who filled it in: the clinic, or the patient at home (portal)
    version: int = 1  # above 1: corrected by an amendment (the old answers are kept)


class AdverseEventView(View):
    id: int
    occurred_on: date
    event_type: str
    severity: str
    action_taken: str
    session_id: int | None


class ConsentView(View):
    id: int
    form_version: str
    consented_on: date
    withdrawn_on: date | None


class ScreeningView(View):
    id: int
    screened_at: datetime
    decision: dict[str, Any]


class PatientHeader(View):
    id: int
    mrn: str
    given_name: str
    family_name: str
    birth_date: date


class Timeline(View):
    """Everything clinical about one patient, newest first."""

    patient: PatientHeader
    sessions: tuple[SessionView, ...]
    episodes: tuple[EpisodeView, ...]
    drawings: tuple[DrawingView, ...]
    outcomes: tuple[OutcomeView, ...]
    adverse_events: tuple[AdverseEventView, ...]
    consents: tuple[ConsentView, ...]
    screenings: tuple[ScreeningView, ...]


class Measures(View):
    """The outcome-measures page: responses and the episodes they may belong to."""

    outcomes: tuple[OutcomeView, ...]
    episodes: tuple[EpisodeView, ...]


class ChartInputs(View):
    """The body-chart page: the drawing to start from (if any) and the episodes to file under."""

    drawing: DrawingView | None
    episodes: tuple[EpisodeView, ...]


class RecentSession(View):
    id: int
    started_at: datetime
    patient_id: int
    given_name: str
    family_name: str
    pain_pre: int | None
    pain_post: int | None


class RecentEvent(View):
    id: int
    occurred_on: date
    event_type: str
    severity: str
    patient_id: int


class Dashboard(View):
    today: date
    sessions_today: int
    recent_sessions: tuple[RecentSession, ...]
    recent_adverse_events: tuple[RecentEvent, ...]
    adverse_events_30d: dict[str, int]


class AmendmentView(View):
    id: int
    from_version: int
    changes: dict[str, Any]
    reason: str
    amended_by: int
    amended_at: datetime
