"""Pain drawings: stored through the one drawing type and its one region validator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from filiform.core.atlas.build import load_atlas
from filiform.core.concepts.drawing import DrawingDetails, DrawnRegion, stored_regions, validate_regions
from filiform.services.access.context import Actor, Perm, require
from filiform.services.access.scope import patient_of_clinic
from filiform.services.records.clinic_time import check_day
from filiform.services.records.writes import add_record, check_episode
from filiform.storage.models import PainDrawingRecord


def checked_regions(regions: Any) -> tuple[DrawnRegion, ...]:
    """``validate_regions`` against the shipped atlas: what every stored drawing must pass."""
    return validate_regions(regions, load_atlas().regions)


def record_drawing(
    session: Session, *, actor: Actor, patient_id: int, details: DrawingDetails | Mapping[str, Any]
) -> PainDrawingRecord:
    """Store a drawing (only regions painted above 0) after the one region validator."""
    require(actor, Perm.WRITE_CLINICAL)
    patient_of_clinic(session, patient_id, actor=actor)
    if isinstance(details, Mapping):
        painted = checked_regions(details.get("regions"))  # every region problem at once, by name
        details = DrawingDetails.parse({**details, "regions": painted})
    painted = checked_regions(details.regions)
    check_episode(session, actor, patient_id, details.episode_id)
    check_day(session, actor.clinic_id, details.drawn_on, "drawn on", "drawing")
    row = PainDrawingRecord(
        clinic_id=actor.clinic_id,
        patient_id=patient_id,
        episode_id=details.episode_id,
        drawn_on=details.drawn_on,
        regions=stored_regions(painted),
        created_by=actor.user_id,
    )
    return add_record(session, actor, row, "pain_drawing")
