"""A two-clinic world for API and app tests: every role in each clinic, one patient each.

Built through the real services on a migrated temp SQLite file (no mocks); clinic B
mirrors clinic A so that every cross-clinic probe has a real target to miss.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from fastapi.testclient import TestClient

from filiform.core.safety.intake import Intake
from filiform.core.safety.screening import screen
from filiform.services.access import users
from filiform.services.access.context import Actor, Role
from filiform.services.records import clinical, patients
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.migrate import upgrade

PASSWORD = "correct horse battery staple"
ROLES = ("clinician", "assistant", "front_desk", "admin")
_YES = ("capacity_to_consent", "consents_to_needling")
ALL_CLEAR = {
    name: ("yes" if name in _YES else "no")
    for name in (
        "capacity_to_consent",
        "consents_to_needling",
        "needle_phobia",
        "acute_illness",
        "red_flags",
        "anticoagulant",
        "antiplatelet",
        "bleeding_disorder",
        "pregnant",
        "lymphoedema",
        "implanted_electrical_device",
        "implants",
        "local_infection_or_lesion",
        "immunosuppressed",
        "heart_valve_disease",
        "diabetes",
        "impaired_sensation",
        "epilepsy",
        "vasovagal_history",
        "metal_allergy",
        "recent_surgery",
        "lung_disease",
    )
} | {"age": 40}


@dataclass
class World:
    url: str
    patient: dict[str, int] = field(default_factory=dict)  # clinic letter -> patient id
    users: dict[str, int] = field(default_factory=dict)  # username -> user id


def build_world(url: str) -> World:
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    world = World(url=url)
    for letter in ("a", "b"):
        with transaction(factory) as s:
            clinic, admin = users.create_clinic(
                s, name=f"Clinic {letter.upper()}", admin_username=f"admin_{letter}", admin_password=PASSWORD
            )
            world.users[f"admin_{letter}"] = admin.id
            boss = Actor(user_id=admin.id, clinic_id=clinic.id, role=Role.ADMIN)
            for role in ROLES[:3]:
                u = users.create_user(
                    s, actor=boss, username=f"{role}_{letter}", display_name=role, role=role, password=PASSWORD
                )
                world.users[u.username] = u.id
            doc = Actor(user_id=world.users[f"clinician_{letter}"], clinic_id=clinic.id, role=Role.CLINICIAN)
            p = patients.register_patient(
                s,
                actor=doc,
                details={
                    "mrn": f"MRN-{letter}",
                    "given_name": "Ada",
                    "family_name": f"Lovelace{letter}",
                    "birth_date": date(1980, 1, 2),
                    "sex": "female",
                },
            )
            world.patient[letter] = p.id
            clinical.record_consent(
                s, actor=doc, patient_id=p.id, details={"form_version": "v1", "consented_on": date(2024, 1, 1)}
            )
            intake = Intake.model_validate(ALL_CLEAR)
            clinical.record_screening(
                s, actor=doc, patient_id=p.id, answers=intake.model_dump(mode="json"), result=screen(intake)
            )
    engine.dispose()
    return world


def login(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    """Fetch the CSRF token, send it on every later request, and log in."""
    token = client.get("/api/auth/csrf").json()["data"]["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return client
