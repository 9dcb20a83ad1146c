"""A believable synthetic clinic: patients, episodes, drawings, sessions, measures.

Every person is invented: names are built from syllables, phone numbers use the
fictional 555-01xx range, e-mail addresses end in example.org and MRNs start with DEMO.
Large clinics (``--patients 100000``, about ten sessions each) are written with bulk
inserts in batches of 500 patients, one durable transaction and one audit entry per
batch, so a 100k clinic takes minutes, not hours.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from filiform.services.access import users
from filiform.services.access.context import Actor, Role
from filiform.services.operations import audit
from filiform.services.operations.demo_profiles import measure, profiles
from filiform.services.operations.demo_rows import Ids, patient_rows, person_name
from filiform.services.records import bulk
from filiform.storage import models as m
from filiform.storage.engine import session_factory, transaction

DEMO_PASSWORD = "demo-password-not-for-production"
BATCH = 500


@dataclass
class DemoStats:
    clinic_id: int = 0
    patients: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    usernames: list[str] = field(default_factory=list)


def _setup(s: Session, patients: int, rng: random.Random) -> tuple[Actor, list[int], DemoStats]:
    tag = f"{rng.randrange(16**6):06x}"
    clinic, admin = users.create_clinic(
        s, name=f"Demo Physiotherapy {tag}", admin_username=f"demo-admin-{tag}", admin_password=DEMO_PASSWORD
    )
    actor = Actor(user_id=admin.id, clinic_id=clinic.id, role=Role.ADMIN, client="demo")
    stats = DemoStats(clinic_id=clinic.id, usernames=[admin.username])
    clinicians = []
    staff = [(Role.CLINICIAN, min(20, 2 + patients // 5000)), (Role.ASSISTANT, 1), (Role.FRONT_DESK, 1)]
    for role, count in staff:
        for n in range(count):
            u = users.create_user(
                s,
                actor=actor,
                username=f"demo-{role.value}-{n + 1}-{tag}",
                display_name=f"{person_name(rng)} {person_name(rng)}",
                role=role,
                password=DEMO_PASSWORD,
            )
            stats.usernames.append(u.username)
            if role == Role.CLINICIAN:
                clinicians.append(u.id)
    return actor, clinicians, stats


def generate(
    engine: Engine,
    *,
    patients: int = 200,
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> DemoStats:
    """Create one synthetic clinic with ``patients`` patients (about 10 sessions each)."""
    rng = random.Random(seed)
    factory = session_factory(engine)
    choices = profiles()  # knowledge base, atlas and scorers: once, not per patient
    nprs = measure("nprs")
    if nprs is None:
        raise RuntimeError("the NPRS instrument cannot be scored")
    with transaction(factory) as s:
        actor, clinicians, stats = _setup(s, patients, rng)
    today = datetime.now(UTC).date()
    done = 0
    while done < patients:
        count = min(BATCH, patients - done)
        with transaction(factory) as s:
            ids = Ids(s)
            rows: dict[str, list[dict[str, Any]]] = {t: [] for t in (*bulk.RECORD_TABLES, "insertion")}
            for n in range(done, done + count):
                patient_rows(rows, ids, rng, stats.clinic_id, clinicians, n + 1, choices, nprs, today)
            for table, written in bulk.insert_rows(s, rows).items():
                stats.rows[table] = stats.rows.get(table, 0) + written
            audit.record(
                s,
                actor=actor,
                action="bulk_import",
                entity="demo",
                detail={"patients": [rows["patient"][0]["id"], rows["patient"][-1]["id"]]},
            )
        done += count
        if progress:
            progress(count)
    stats.patients = patients
    return stats


def ensure_demo(engine: Engine, *, patients: int = 200) -> str | None:
    """Create the demo clinic if the database holds no clinic; the demo clinician's username.

    None when the database already holds clinics but no demo clinician.
    """
    with engine.connect() as conn:
        empty = conn.scalar(sa.select(sa.func.count()).select_from(m.Clinic)) == 0
    if empty:
        generate(engine, patients=patients)
    with engine.connect() as conn:
        name: str | None = conn.scalar(
            sa.select(m.User.username)
            .where(m.User.username.like("demo-clinician-1-%"), m.User.active.is_(True))
            .order_by(m.User.id)
            .limit(1)
        )
    return name
