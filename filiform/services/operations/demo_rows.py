"""The rows of one synthetic demo patient: episode, drawings, screenings, sessions,
needles, measures and adverse events, written as plain dicts for bulk insert.

Kept apart from :mod:`demo` (which sets up the clinic and writes the batches) so each file
holds one job. Every value is invented; see :mod:`demo` for the rules the data follows.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from filiform.core.concepts import Side
from filiform.core.safety.intake import CLEAR_ANSWERS, Intake
from filiform.core.safety.screening import evaluate
from filiform.services.operations.demo_profiles import Measure, Profile, companions, diagnosis_for
from filiform.storage import models as m

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


def person_name(rng: random.Random) -> str:
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


class Ids:
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


def _more_muscles(
    rows: dict[str, list[dict[str, Any]]],
    ids: Ids,
    aux: random.Random,
    profile: Profile,
    choices: tuple[Profile, ...],
    sid: int,
    side: str,
) -> None:
    """About one session in four also needles two other muscles of the condition (CPT 20561).

    Drawn from its own generator (``aux``), so the rest of the demo stays as it was.
    """
    others = companions(profile, choices)
    if len(others) < 2 or aux.random() >= 0.25:
        return
    seq = next((r["seq"] for r in reversed(rows["insertion"]) if r["session_id"] == sid), 0)
    for other in aux.sample(others, 2):
        seq += 1
        length = aux.choice(other.needle_lengths)
        rows["insertion"].append(
            {
                "id": ids.take("insertion"),
                "session_id": sid,
                "seq": seq,
                "target_id": other.muscle_id,
                "side": side,
                "technique": other.techniques[0],
                "needle_length_mm": length,
                "needle_gauge_mm": 0.25,
                "depth_mm": round(min(length, other.depth_mm[0]), 1),
                "twitch_responses": 0,
                "retention_s": 0 if other.techniques[0] == "trigger_point_dn" else 300,
            }
        )


def patient_rows(
    rows: dict[str, list[dict[str, Any]]],
    ids: Ids,
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
            "given_name": person_name(rng),
            "family_name": person_name(rng),
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
            # most episodes have their diagnosis chosen; the rest show the billing flag
            "diagnosis_code": diagnosis_for(profile.condition, profile.icd10, side.value) if number % 7 else None,
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
        _more_muscles(rows, ids, random.Random(sid * 7919 + number), profile, choices, sid, side.value)
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
