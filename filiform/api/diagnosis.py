"""The episode's diagnosis: its candidates, and the clinician's choice of one."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from filiform.api.deps import CurrentActor, Envelope, PathId, StrictIn, UnitOfWork
from filiform.services.records import diagnosis

router = APIRouter(tags=["diagnosis"])


class CandidateOut(BaseModel):
    code: str
    title: str
    laterality: str


class DiagnosisOut(BaseModel):
    episode_id: int
    condition: str
    version: int
    chosen: str | None
    candidates: list[CandidateOut]


class ChoiceIn(StrictIn):
    code: str
    expected_version: int
    reason: str | None = None


def _out(found: diagnosis.DiagnosisChoice) -> DiagnosisOut:
    return DiagnosisOut(
        episode_id=found.episode_id,
        condition=found.condition,
        version=found.version,
        chosen=found.chosen,
        candidates=[CandidateOut(code=c.code, title=c.title, laterality=c.laterality) for c in found.candidates],
    )


@router.get("/episodes/{episode_id}/diagnosis", response_model=Envelope[DiagnosisOut])
def read(episode_id: PathId, who: CurrentActor, s: UnitOfWork) -> Envelope[DiagnosisOut]:
    """The candidate codes (with side) and the current choice."""
    return Envelope(data=_out(diagnosis.choices(s, actor=who, episode_id=episode_id)))


@router.put("/episodes/{episode_id}/diagnosis", response_model=Envelope[DiagnosisOut])
def choose(episode_id: PathId, body: ChoiceIn, who: CurrentActor, s: UnitOfWork) -> Envelope[DiagnosisOut]:
    """Choose the episode's one diagnosis (an amendment; 422 unless a candidate, 409 if stale)."""
    diagnosis.choose(
        s, actor=who, episode_id=episode_id, code=body.code, expected_version=body.expected_version, reason=body.reason
    )
    return Envelope(data=_out(diagnosis.choices(s, actor=who, episode_id=episode_id)))
