"""A small clinic world built through the real services (no mocks); used by conftest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from filiform.core.safety.intake import CLEAR_ANSWERS, Intake
from filiform.core.safety.screening import evaluate
from filiform.services.access import users
from filiform.services.access.context import Actor, Role
from filiform.services.records import clinical, patients, sessions
from filiform.storage.engine import transaction

PASSWORD = "correct horse battery"


# A 46-year-old with an implanted stimulator: electrical needling needs a written reason.
ANSWERS = {**CLEAR_ANSWERS, "age": 46, "bmi": 26.0, "implanted_electrical_device": "yes"}


def intake_answers(**changes: Any) -> dict[str, Any]:
    """Screening answers as the screening page stores them (the current questionnaire)."""
    return Intake.from_data({**ANSWERS, **changes}).model_dump(mode="json")


def needle(technique: str = "trigger_point_dn", **kw: Any) -> dict[str, Any]:
    """One needle as every face sends it (validated by ``filiform.core.concepts.Insertion``)."""
    return {
        "target_id": "upper_trapezius",
        "side": "right",
        "technique": technique,
        "needle_length_mm": 30,
        "needle_gauge_mm": 0.25,
        "depth_mm": 15,
        "twitch_responses": 2,
        "retention_s": 60,
        **kw,
    }


def edn_pair(**settings: Any) -> dict[str, Any]:
    """Two electrical needles on one lead pair (needles 1 and 2): fields for ``record_session``."""
    circuit = {"lead_a": 1, "lead_b": 2, "frequency_hz": 2, "pulse_width_us": 250, "intensity_ma": 3, "duration_s": 600}
    return {
        "insertions": [needle("electrical_dn"), needle("electrical_dn", target_id="levator_scapulae")],
        "circuits": [{**circuit, **settings}],
    }


@dataclass
class World:
    factory: sessionmaker[Session]
    admin: Actor
    clinician: Actor
    assistant: Actor
    front_desk: Actor
    other_clinician: Actor
    patient_id: int
    other_patient_id: int

    def run(self, fn: Callable[..., Any], **kw: Any) -> Any:
        with transaction(self.factory) as s:
            return fn(s, **kw)

    def session(self, actor: Actor, patient_id: int | None = None, **fields: Any) -> Any:
        """Record a session (now, one needle unless given) through ``record_session``."""
        documented = {"started_at": self.now, "insertions": [needle()], **fields}
        return self.run(
            sessions.record_session, actor=actor, patient_id=patient_id or self.patient_id, documented=documented
        )

    @property
    def now(self) -> datetime:
        return datetime.now(UTC) - timedelta(minutes=5)


def _clinic(s: Session, name: str, tag: str) -> dict[str, Actor]:
    clinic, admin = users.create_clinic(s, name=name, admin_username=f"admin-{tag}", admin_password=PASSWORD)
    a = Actor(user_id=admin.id, clinic_id=clinic.id, role=Role.ADMIN, client="127.0.0.1")
    out = {"admin": a}
    for role in (Role.CLINICIAN, Role.ASSISTANT, Role.FRONT_DESK):
        u = users.create_user(
            s, actor=a, username=f"{role.value}-{tag}", display_name=role.value, role=role, password=PASSWORD
        )
        out[role.value] = Actor(user_id=u.id, clinic_id=clinic.id, role=role, client="127.0.0.1")
    return out


def _consented_patient(s: Session, clin: Actor, mrn: str) -> int:
    p = patients.register_patient(
        s,
        actor=clin,
        details={
            "mrn": mrn,
            "given_name": "Ada",
            "family_name": "Testperson",
            "birth_date": date(1980, 1, 1),
            "sex": "female",
        },
    )
    clinical.record_consent(
        s,
        actor=clin,
        patient_id=p.id,
        details={"form_version": "dn-2026-1", "consented_on": date.today() - timedelta(days=1)},
    )
    clinical.record_screening(
        s,
        actor=clin,
        patient_id=p.id,
        answers=intake_answers(),
        result=evaluate(Intake.from_data(ANSWERS), on=date.today()),
        screened_at=datetime.now(UTC) - timedelta(days=1),
    )
    return p.id
