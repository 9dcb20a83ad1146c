"""Patients for the session browser tests, written through the record services on the live
server's own database (the write path the pages use), consented and screened two days ago so a
session started "now" falls after both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from browser_world import LiveServer

from filiform.core.safety.intake import CLEAR_ANSWERS, Intake
from filiform.core.safety.screening import evaluate
from filiform.services.access.context import Actor, Role
from filiform.services.records import clinical, patients
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.models import User


def screened_patient(server: LiveServer, mrn: str, family_name: str, **answers: Any) -> int:
    """A consented patient whose latest screening is the real engine's decision on these answers."""
    moment = datetime.now(UTC) - timedelta(days=2)
    engine = make_engine(server.database)
    try:
        with transaction(session_factory(engine)) as s:
            user = s.scalar(sa.select(User).where(User.username == server.clinician))
            assert user is not None
            doc = Actor(user_id=user.id, clinic_id=user.clinic_id, role=Role(user.role), client="127.0.0.1")
            row = patients.register_patient(
                s,
                actor=doc,
                details={
                    "mrn": mrn,
                    "given_name": "Tess",
                    "family_name": family_name,
                    "birth_date": "1979-02-03",
                    "sex": "female",
                },
            )
            day = moment.date() - timedelta(days=1)
            clinical.record_consent(
                s, actor=doc, patient_id=row.id, details={"form_version": "v1", "consented_on": day}
            )
            intake = Intake.from_data({**CLEAR_ANSWERS, "age": 44, "bmi": 23.0, **answers})
            clinical.record_screening(
                s,
                actor=doc,
                patient_id=row.id,
                answers=intake.model_dump(mode="json"),
                result=evaluate(intake, on=day),
                screened_at=moment,
            )
            return int(row.id)
    finally:
        engine.dispose()
