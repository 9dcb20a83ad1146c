"""Helpers for the session page tests: patients, consent and screening in the past, users, zones.

The web pages record consent and screening "now"; a session in the evening of an earlier
day needs them dated before it, so these helpers write them through the services (the
same write path the pages use) on the app's own database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from web_world import World, form_token

from filiform.core.safety.intake import CLEAR_ANSWERS, Intake
from filiform.core.safety.screening import evaluate
from filiform.services.access import users
from filiform.services.access.context import Actor, Role
from filiform.services.operations.demo import DEMO_PASSWORD
from filiform.services.records import clinic_settings, clinical, patients
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.models import User

ANSWERS = {**CLEAR_ANSWERS, "age": 45, "bmi": 24.0}


@contextmanager
def db(world: World) -> Iterator[Session]:
    engine = make_engine(world.url)
    try:
        with transaction(session_factory(engine)) as s:
            yield s
    finally:
        engine.dispose()


def actor(s: Session, username: str) -> Actor:
    user = s.scalar(sa.select(User).where(User.username == username))
    assert user is not None
    return Actor(user_id=user.id, clinic_id=user.clinic_id, role=Role(user.role), client="127.0.0.1")


def new_patient(world: World, mrn: str, *, consent_on: date, screened_at: datetime, **answers: Any) -> int:
    """A consented, screened patient (the screening's frozen decision from the real engine)."""
    with db(world) as s:
        doc = actor(s, world.usernames["clinician"])
        row = patients.register_patient(
            s,
            actor=doc,
            details={
                "mrn": mrn,
                "given_name": "Ada",
                "family_name": "Point",
                "birth_date": "1981-05-06",
                "sex": "female",
            },
        )
        clinical.record_consent(
            s, actor=doc, patient_id=row.id, details={"form_version": "v1", "consented_on": consent_on}
        )
        intake = Intake.from_data({**ANSWERS, **answers})
        clinical.record_screening(
            s,
            actor=doc,
            patient_id=row.id,
            answers=intake.model_dump(mode="json"),
            result=evaluate(intake, on=consent_on),
            screened_at=screened_at,
        )
        return int(row.id)


def second_clinician(world: World, username: str) -> str:
    with db(world) as s:
        admin = actor(s, world.usernames["admin"])
        if s.scalar(sa.select(User.id).where(User.username == username)) is None:
            users.create_user(
                s,
                actor=admin,
                username=username,
                display_name=f"Dr {username}",
                role=Role.CLINICIAN,
                password=DEMO_PASSWORD,
            )
    return username


def set_zone(world: World, zone: str) -> None:
    with db(world) as s:
        admin = actor(s, world.usernames["admin"])
        clinic_settings.update_settings(
            s, actor=admin, timezone=zone, address="1 Needle Lane, Springfield", phone="+1 555 0100"
        )


def needle(
    n: int, target: str, side: str, depth: str, technique: str = "trigger_point_dn", **more: str
) -> dict[str, str]:
    fields = {"target": target, "side": side, "technique": technique, "length": "40", "gauge": "0.3", "depth": depth}
    return {f"ins-{n}-{k}": v for k, v in {**fields, **more}.items()}


def form_of(c: TestClient, pid: int, query: str = "") -> tuple[str, dict[str, str]]:
    """The form page and its hidden fields (CSRF token, form key, the plan's reference)."""
    page = c.get(f"/patients/{pid}/sessions/new{query}")
    assert page.status_code == 200, page.text[:2000]
    hidden = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page.text))
    hidden["csrf_token"] = form_token(page.text)
    return page.text, hidden


def now_on_form(page: str) -> str:
    """The clinic's local "now" the form offers as the start time."""
    found = re.search(r'name="started_at" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)
