"""Treatment plans saved to an episode of care, and read back exactly as they were saved.

Why a snapshot and not only the inputs: a plan is what the clinician agreed on that day
with that screening; rebuilt later from a newer screening or knowledge base it could name
other targets.  So the plan is stored as built (``Plan`` as JSON) with what it was built
from (condition, side, drawing, exam findings), which lets the page offer "rebuild with
today's record" beside it.  Saving again appends a new row: the latest is the episode's
plan, the earlier ones stay as its history.  A snapshot that today's ``Plan`` model can no
longer read is shown by its inputs, never dropped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.orm import Session

from filiform.core.concepts import EpisodeDetails
from filiform.core.planning.plan import Plan
from filiform.errors import NotFound, ValidationFailed
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import owned, patient_of_clinic
from filiform.services.operations import audit
from filiform.services.records import clinical
from filiform.services.records.plans import PatientPlan
from filiform.services.records.writes import add_record
from filiform.storage.models import Episode, EpisodePlan, User


@dataclass(frozen=True)
class PlanInputs:
    """What a plan is built from: the plan page's query."""

    condition: str
    side: str | None = None
    drawing_id: int | None = None
    findings: tuple[str, ...] = ()

    def stored(self) -> dict[str, Any]:
        return {
            "condition": self.condition,
            "side": self.side,
            "drawing_id": self.drawing_id,
            "findings": list(self.findings),
        }

    @classmethod
    def read(cls, data: dict[str, Any]) -> PlanInputs:
        return cls(
            condition=str(data.get("condition", "")),
            side=data.get("side") if data.get("side") in ("left", "right") else None,
            drawing_id=data.get("drawing_id") if isinstance(data.get("drawing_id"), int) else None,
            findings=tuple(str(f) for f in data.get("findings") or ()),
        )


@dataclass(frozen=True)
class SavedPlan:
    id: int
    episode_id: int
    episode_condition: str
    episode_closed: bool
    saved_at: datetime
    saved_by: str
    inputs: PlanInputs
    plan: Plan | None  # None: saved by an older version whose plan shape no longer reads


def _codes(codes: tuple[str, ...]) -> list[str]:
    """The condition's ICD-10-CM codes an episode accepts (its validator is the judge)."""
    out = []
    for code in codes:
        try:
            EpisodeDetails.parse({"condition": "x", "icd10_codes": [code], "opened_on": "2026-01-01"})
        except ValidationFailed:
            continue
        out.append(code)
    return out


def _episode_for(
    session: Session, actor: Actor, patient_id: int, built: PatientPlan, episode_id: int | None, opened_on: date
) -> Episode:
    if episode_id is not None:
        episode = owned(session, Episode, episode_id, actor=actor)
        if episode.patient_id != patient_id:
            raise ValidationFailed("this episode belongs to another patient")
        if episode.closed_on is not None:
            raise ValidationFailed(f"the episode '{episode.condition}' is closed: save the plan to a new episode")
        return episode
    name = built.condition.name[:200]
    open_one = session.execute(
        sa.select(Episode)
        .where(Episode.patient_id == patient_id, Episode.condition == name, Episode.closed_on.is_(None))
        .order_by(Episode.opened_on.desc(), Episode.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if open_one is not None:
        return open_one
    details = EpisodeDetails.parse(
        {"condition": name, "icd10_codes": _codes(built.condition.icd10cm), "opened_on": opened_on.isoformat()}
    )
    return clinical.open_episode(session, actor=actor, patient_id=patient_id, details=details)


def save_plan(
    session: Session,
    *,
    actor: Actor,
    patient_id: int,
    built: PatientPlan,
    inputs: PlanInputs,
    opened_on: date,
    episode_id: int | None = None,
) -> EpisodePlan:
    """Save ``built`` to ``episode_id``, else to the open episode of its condition, else to a new one."""
    require(actor, Perm.WRITE_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    if inputs.condition != built.plan.condition:
        raise ValidationFailed("the plan and what it was built from name different conditions")
    episode = _episode_for(session, actor, patient_id, built, episode_id, opened_on)
    row = EpisodePlan(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        episode_id=episode.id,
        condition=built.plan.condition,
        inputs=inputs.stored(),
        snapshot=built.plan.model_dump(mode="json"),
        created_by=actor.user_id,
    )
    return add_record(session, actor, row, "episode_plan", detail={"episode_id": episode.id})


def _read(row: EpisodePlan, episode: Episode, saved_by: str) -> SavedPlan:
    try:
        plan: Plan | None = Plan.model_validate_json(json.dumps(row.snapshot))  # JSON: arrays read as tuples
    except ValidationError:
        plan = None
    return SavedPlan(
        id=row.id,
        episode_id=episode.id,
        episode_condition=episode.condition,
        episode_closed=episode.closed_on is not None,
        saved_at=row.created_at,
        saved_by=saved_by,
        inputs=PlanInputs.read(row.inputs),
        plan=plan,
    )


def _rows(session: Session, patient_id: int, plan_id: int | None = None) -> list[SavedPlan]:
    stmt = (
        sa.select(EpisodePlan, Episode, User.display_name)
        .join(Episode, Episode.id == EpisodePlan.episode_id)
        .join(User, User.id == EpisodePlan.created_by)
        .where(EpisodePlan.patient_id == patient_id)
        .order_by(EpisodePlan.created_at.desc(), EpisodePlan.id.desc())
    )
    if plan_id is not None:
        stmt = stmt.where(EpisodePlan.id == plan_id)
    return [_read(row, episode, name) for row, episode, name in session.execute(stmt)]


def saved_plans(session: Session, *, actor: Actor, patient_id: int) -> list[SavedPlan]:
    """Every plan saved for the patient, newest first (one audited read)."""
    require(actor, Perm.READ_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    found = _rows(session, patient_id)
    audit.record(
        session, actor=actor, action="read", entity="episode_plan", patient_id=patient_id, detail={"rows": len(found)}
    )
    return found


def saved_plan(session: Session, *, actor: Actor, patient_id: int, plan_id: int) -> SavedPlan:
    """One saved plan of the patient, as it was saved (audited read)."""
    require(actor, Perm.READ_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    found = _rows(session, patient_id, plan_id)
    if not found:
        raise NotFound(f"saved plan {plan_id} not found")
    audit.record(session, actor=actor, action="read", entity="episode_plan", entity_id=plan_id, patient_id=patient_id)
    return found[0]


def latest_per_episode(plans: list[SavedPlan]) -> dict[int, SavedPlan]:
    """The current plan of each episode (the newest saved to it)."""
    out: dict[int, SavedPlan] = {}
    for p in plans:  # newest first
        out.setdefault(p.episode_id, p)
    return out
