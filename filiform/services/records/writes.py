"""What every record write shares: the episode check and the add-and-audit step."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from filiform.errors import ValidationFailed
from filiform.services.access.context import Actor
from filiform.services.access.scope import owned
from filiform.services.operations import audit
from filiform.storage.models import Episode


class _Record(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def patient_id(self) -> int: ...


R = TypeVar("R", bound=_Record)


def check_episode(session: Session, actor: Actor, patient_id: int, episode_id: int | None) -> None:
    """An episode named on a record must be one of the same patient's (and of the actor's clinic)."""
    if episode_id is not None and owned(session, Episode, episode_id, actor=actor).patient_id != patient_id:
        raise ValidationFailed(f"episode {episode_id} belongs to another patient")


def add_record(session: Session, actor: Actor, row: R, entity: str, detail: dict[str, Any] | None = None) -> R:
    """Insert a record and audit its creation in the same transaction."""
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        entity=entity,
        entity_id=row.id,
        patient_id=row.patient_id,
        detail=detail,
    )
    return row
