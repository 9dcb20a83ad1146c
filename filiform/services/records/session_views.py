"""The read model of one session as its page, its PDF note and the API show it.

Everything here is what the session was done under (its consent, screening, drawing and
plan) and what happened to it since (amendments, co-signatures, a void, withdrawn files),
so the note printed a year later says what the note said on the day, plus its history.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import Field

from filiform.services.records.views import (
    AdverseEventView,
    ConsentView,
    DrawingView,
    EpisodeView,
    SessionView,
    View,
)


class OverrideView(View):
    """A safety problem found at saving and the reason written for it."""

    seq: int
    rule_id: str
    insertion_seq: int | None
    problem: str
    reason: str


class ChangeLine(View):
    field: str
    old: Any = None
    new: Any = None


class HistoryEntry(View):
    """One amendment of the session, in words: who, when, why, what changed."""

    id: int
    kind: str  # amended / voided / withdrawn
    at: datetime
    by: str
    cosigned_by: str | None
    reason: str
    changes: tuple[ChangeLine, ...]


class ProposalView(View):
    """A change another clinician proposed, waiting for the author's co-signature."""

    id: int
    kind: str
    proposed_by: str
    proposed_at: datetime
    reason: str
    changes: dict[str, Any]


class PlanTargetView(View):
    target: str
    name: str
    side: str | None
    technique: str
    min_mm: float
    max_mm: float
    cap_mm: float | None
    basis: str | None = None
    ultrasound_only: bool = False


class PlanBasis(View):
    """What the session kept of its plan (None condition: recorded without a plan)."""

    condition: str | None = None
    condition_name: str | None = None
    side: str | None = None
    targets: tuple[PlanTargetView, ...] = ()


class ScreeningSummary(View):
    """The screening the session was done under: when, its overall decision and reasons."""

    id: int
    screened_at: datetime
    level: str  # go / caution / do_not_needle
    per_technique: dict[str, str]  # technique id -> decision, for the techniques used
    blocking: tuple[str, ...]
    anticoagulated: bool = False  # the answers then: the handout adds the blood-thinner advice


class RecordingItem(View):
    id: int
    kind: str
    filename: str
    size_bytes: int
    withdrawn: bool
    status: str | None
    error: str | None
    beats: int | None
    duration_s: float | None


class Letterhead(View):
    name: str
    address: str | None
    phone: str | None
    email: str | None


class SessionRecord(View):
    """One session fixed to what it was done under, with its history."""

    session: SessionView
    clinician: str
    clinician_id: int
    zone: str
    letterhead: Letterhead
    events: tuple[AdverseEventView, ...]
    drawing: DrawingView | None
    drawing_basis: str  # "recorded": the session names it; "by_date": recorded before sessions kept it
    screening: ScreeningSummary | None
    consent: ConsentView | None
    diagnosis: EpisodeView | None
    plan: PlanBasis | None  # None: recorded before sessions kept their plan
    ultrasound_guided: bool | None
    overrides: tuple[OverrideView, ...]
    legacy_override: str | None  # the single reason of sessions recorded before per-problem reasons
    history: tuple[HistoryEntry, ...]
    proposals: tuple[ProposalView, ...]
    recordings: tuple[RecordingItem, ...] = Field(default=())

    @property
    def voided(self) -> bool:
        return self.session.voided_at is not None

    @property
    def amended(self) -> bool:
        return any(h.kind != "voided" for h in self.history)

    @property
    def day(self) -> date:
        from filiform.core.concepts.clock import local_date

        return local_date(self.session.started_at, self.zone)
