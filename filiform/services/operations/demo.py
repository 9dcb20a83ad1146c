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
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from filiform.core.concepts import Side
from filiform.core.safety.intake import CLEAR_ANSWERS, Intake
from filiform.core.safety.screening import evaluate
from filiform.services.access import users
from filiform.services.access.context import Actor, Role
from filiform.services.operations import audit
from filiform.services.operations.demo_profiles import Measure, Profile, measure, profiles
from filiform.services.records import bulk
from filiform.storage import models as m
from filiform.storage.engine import session_factory, transaction

DEMO_PASSWORD = "demo-password-not-for-production"
BATCH = 500
SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "ren",
    "sa",
    "to",
    "vi",
    "dar",
    "el",
    "no",
    "ri",
    "bel",
    "ta",
    "qu",
    "zen",
    "fa",
    "mor",
    "li",
    "an",
    "se",
)
SIDES = (Side.LEFT, Side.RIGHT)
AE_MINOR = ("bruising", "bleeding", "pain_during", "pain_after", "drowsiness", "headache")
RESPONSES = (
    "Felt local twitch, eased after",
    "Mild soreness, tolerated well",
    "Reported reduced stiffness",
    "Slightly lightheaded, settled lying down",
)


@dataclass
class DemoStats:
    clinic_id: int = 0
    patients: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    usernames: list[str] = field(default_factory=list)


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


@cache
def _screening(age: int, bmi: float, anticoagulated: bool, on: date) -> tuple[dict[str, Any], dict[str, Any]]:
    """Answers in the current questionnaire and the engine's own decision on them.

    Why: a fabricated "go" beside answers the questionnaire no longer reads made every demo
    patient show a green pill that the safety engine would not give, and refused every
    session recorded for them ("screen again"). Cached: few distinct inputs.
    """
    intake = Intake.from_data(
        {**CLEAR_ANSWERS, "age": age, "bmi": bmi, "anticoagulant": "doac" if anticoagulated else "no"}
    )
    return intake.model_dump(mode="json"), evaluate(intake, on=on).model_dump(mode="json")


class _Ids:
    """Next primary key per table, so children can be written without a round trip."""

    def __init__(self, s: Session) -> None:
        self.next: dict[str, int] = {}
        for table in m.Base.metadata.sorted_tables:
            if "id" in table.c and table.name not in ("audit_log",):
                self.next[table.name] = (s.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


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
                display_name=f"{_name(rng)} {_name(rng)}",
                role=role,
                password=DEMO_PASSWORD,
            )
            stats.usernames.append(u.username)
            if role == Role.CLINICIAN:
                clinicians.append(u.id)
    return actor, clinicians, stats


def _drawing(rng: random.Random, profile: Profile, side: Side, pain: int) -> list[dict[str, Any]]:
    """The trigger point's essential zones on ``side``, sometimes one spillover zone."""
    regions = [{"region": rid, "intensity": max(1, pain - rng.randint(0, 2))} for rid in profile.essential[side]]
    if profile.spillover[side] and rng.random() < 0.4:
        extra = rng.choice(profile.spillover[side])
        if extra not in profile.essential[side]:
            regions.append({"region": extra, "intensity": rng.randint(2, 4)})
    return regions


def _improved(rng: random.Random, regions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Five weeks on: the same areas, less intense."""
    return [{"region": r["region"], "intensity": max(1, r["intensity"] - rng.randint(1, 4))} for r in regions]


def _patient_rows(
    rows: dict[str, list[dict[str, Any]]],
    ids: _Ids,
    rng: random.Random,
    clinic: int,
    clinicians: list[int],
    number: int,
    choices: tuple[Profile, ...],
    nprs: Measure,
    today: date,
) -> None:
    pid = ids.take("patient")
    doc = rng.choice(clinicians)
    base = {"clinic_id": clinic, "patient_id": pid, "version": 1, "created_by": doc}
    start = today - timedelta(days=rng.randint(0, 720))
    rows["patient"].append(
        {
            "id": pid,
            "clinic_id": clinic,
            "mrn": f"DEMO-{number:07d}",
            "given_name": _name(rng),
            "family_name": _name(rng),
            "birth_date": date(rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)),
            "sex": rng.choice(("female", "male", "female", "other")),
            "phone": f"555-01{rng.randint(0, 99):02d}",
            "email": f"patient{number}@example.org",
            "version": 1,
            "created_by": doc,
        }
    )
    consent = ids.take("consent")
    rows["consent"].append(
        {**base, "id": consent, "form_version": "dn-consent-2026.1", "consented_on": start, "obtained_by": doc}
    )
    screening = ids.take("screening")
    born = rows["patient"][-1]["birth_date"]
    age = start.year - born.year - ((start.month, start.day) < (born.month, born.day))
    answers, decision = _screening(age, 21.0 + pid * 7 % 10, rng.random() < 0.1, start)  # BMI 21-30, no new draw
    rows["screening"].append(
        {
            **base,
            "id": screening,
            "screened_at": datetime.combine(start, time(8, 0), tzinfo=UTC),
            "answers": dict(answers),
            "decision": dict(decision),
            "engine_version": "demo",
        }
    )
    profile = rng.choice(choices)
    side = rng.choice(SIDES)
    episode = ids.take("episode")
    rows["episode"].append(
        {
            **base,
            "id": episode,
            "condition": profile.condition,
            "icd10_codes": list(profile.icd10),
            "plan": f"Weekly dry needling of {profile.muscle_id.replace('_', ' ')} with home exercise",
            "opened_on": start,
        }
    )
    pain = rng.randint(5, 9)
    first = _drawing(rng, profile, side, pain)
    for k, regions in enumerate((first, _improved(rng, first))):
        if start + timedelta(days=35 * k) > today:
            break  # nothing is recorded in the future: recent patients are mid-treatment
        rows["pain_drawing"].append(
            {
                **base,
                "id": ids.take("pain_drawing"),
                "episode_id": episode,
                "drawn_on": start + timedelta(days=35 * k),
                "regions": regions,
            }
        )
    level = pain
    for k, day in enumerate((0, 35, 70)):
        if start + timedelta(days=day) > today:
            break
        if k:
            level = max(0, level - rng.choice((0, 1, 2, 2, 3)))
        measures = [(nprs, level)]
        if profile.measure is not None:
            measures.append((profile.measure, min(10, max(0, level + rng.randint(-1, 1)))))
        for instrument, at in measures:
            rows["outcome_response"].append(
                {
                    **base,
                    "id": ids.take("outcome_response"),
                    "episode_id": episode,
                    "instrument_id": instrument.instrument_id,
                    "answers": instrument.answers[at],
                    "total": instrument.totals[at],
                    "completed_on": start + timedelta(days=day),
                }
            )
    low, high = profile.depth_mm
    for k in range(rng.randint(6, 14)):
        if start + timedelta(days=7 * k) > today:
            break
        sid = ids.take("treatment_session")
        when = datetime.combine(
            start + timedelta(days=7 * k), time(rng.randint(8, 18), rng.choice((0, 30))), tzinfo=UTC
        )
        pre = max(0, pain - k // 2)
        rows["treatment_session"].append(
            {
                **base,
                "id": sid,
                "episode_id": episode,
                "clinician_id": doc,
                "consent_id": consent,
                "screening_id": screening,
                "started_at": when,
                "pain_pre": pre,
                "pain_post": max(0, pre - rng.randint(0, 3)),
                "patient_response": rng.choice(RESPONSES),
                "notes": None,
                "override_justification": None,
            }
        )
        technique = rng.choice(profile.techniques)
        for seq in range(1, rng.randint(2, 4) + 1):
            length = rng.choice(profile.needle_lengths)
            rows["insertion"].append(
                {
                    "id": ids.take("insertion"),
                    "session_id": sid,
                    "seq": seq,
                    "target_id": profile.muscle_id,
                    "side": side.value,
                    "technique": technique,
                    "needle_length_mm": length,
                    "needle_gauge_mm": rng.choice((0.25, 0.30)),
                    "depth_mm": round(min(length, rng.uniform(low, high)), 1),
                    "twitch_responses": rng.randint(0, 5) if technique == "trigger_point_dn" else 0,
                    "retention_s": 0 if technique == "trigger_point_dn" else rng.choice((300, 600)),
                }
            )
        if rng.random() < 0.15:
            rows["adverse_event"].append(
                {
                    **base,
                    "id": ids.take("adverse_event"),
                    "session_id": sid,
                    "occurred_on": when.date(),
                    "event_type": rng.choice(AE_MINOR),
                    "severity": "minor",
                    "significant": False,
                    "onset": "within_24h",
                    "duration": "1-2 days",
                    "action_taken": "self_care",
                    "causality": "probable",
                    "description": None,
                }
            )


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
            ids = _Ids(s)
            rows: dict[str, list[dict[str, Any]]] = {t: [] for t in (*bulk.RECORD_TABLES, "insertion")}
            for n in range(done, done + count):
                _patient_rows(rows, ids, rng, stats.clinic_id, clinicians, n + 1, choices, nprs, today)
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
