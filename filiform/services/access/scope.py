"""Clinic isolation: load a row only if it belongs to the actor's clinic.

A record of another clinic is reported as NotFound, not PermissionDenied, so that ids
cannot be probed across clinics (the IDOR failure the research note lists).
"""

from __future__ import annotations

from collections import deque
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from filiform.errors import NotFound
from filiform.services.access.context import Actor
from filiform.storage.models import Patient

T = TypeVar("T")


def owned(session: Session, model: type[T], record_id: int, *, actor: Actor) -> T:
    """The row ``record_id`` of ``model`` if it is in the actor's clinic, else NotFound."""
    row: Any = session.get(model, record_id)
    if row is None or row.clinic_id != actor.clinic_id:
        raise NotFound(f"{getattr(model, '__tablename__', model.__name__)} {record_id} not found")
    return row  # type: ignore[no-any-return]


_RECENT = "filiform.recent_patients"


def patient_of_clinic(session: Session, patient_id: int, *, actor: Actor) -> Patient:
    """The patient if in the actor's clinic (NotFound otherwise).

    The session's identity map holds rows only while something else does, and a page
    calls this from four services that keep only views of the row: without the last few
    patients held here, each call read the row again.
    """
    row = owned(session, Patient, patient_id, actor=actor)
    recent: deque[Patient] = session.info.setdefault(_RECENT, deque(maxlen=4))
    if row not in recent:
        recent.append(row)
    return row
