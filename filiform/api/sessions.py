"""Episodes of care and needling sessions with their needles and circuits.

A session is refused (409 ``safety_block``) without a valid consent and a screening that
allows every technique, unless an override with a written justification is given.
"""

from __future__ import annotations

from fastapi import APIRouter

from filiform.api.deps import CurrentActor, Envelope, PathId, UnitOfWork
from filiform.api.schemas.care import EpisodeCreated, EpisodeIn
from filiform.api.schemas.sessions import SessionCreated, SessionIn
from filiform.services.records import clinical, sessions

router = APIRouter(tags=["sessions"])


@router.post("/patients/{patient_id}/episodes", status_code=201, response_model=Envelope[EpisodeCreated])
def open_episode(patient_id: PathId, body: EpisodeIn, who: CurrentActor, s: UnitOfWork) -> Envelope[EpisodeCreated]:
    row = clinical.open_episode(s, actor=who, patient_id=patient_id, details=body)
    return Envelope(data=EpisodeCreated(id=row.id, patient_id=patient_id, condition=row.condition))


@router.post("/patients/{patient_id}/sessions", status_code=201, response_model=Envelope[SessionCreated])
def record(patient_id: PathId, body: SessionIn, who: CurrentActor, s: UnitOfWork) -> Envelope[SessionCreated]:
    row = sessions.record_session(s, actor=who, patient_id=patient_id, documented=body)
    return Envelope(
        data=SessionCreated(
            id=row.id,
            patient_id=patient_id,
            started_at=row.started_at,
            insertions=len(body.insertions),
            circuits=len(body.circuits),
            screening_id=row.screening_id,
            consent_id=row.consent_id,
            override=row.override_justification is not None,
        )
    )
