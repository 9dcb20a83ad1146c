"""Migration safety_sites: screenings stored with coarse areas open and decide in the new vocabulary.

A database is built at revision 0003 with screening rows in the old format (as the first
engine wrote them), upgraded, and every row is checked, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Engine

from filiform.core.safety.decision import ScreeningResult
from filiform.core.safety.intake import Intake
from filiform.storage.engine import make_engine
from filiform.storage.migrate import alembic_config, upgrade

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
OLD_ANSWERS: dict[str, Any] = {
    "capacity_to_consent": "yes",
    "consents_to_needling": "yes",
    "needle_phobia": "no",
    "acute_illness": "no",
    "red_flags": "no",
    "anticoagulant": "vka",
    "inr": 2.4,
    "antiplatelet": "no",
    "bleeding_disorder": "no",
    "pregnant": "no",
    "pregnancy_trimester": None,
    "lymphoedema": "yes",
    "lymphoedema_sites": ["right:arm"],
    "implanted_electrical_device": "no",
    "implants": "yes",
    "implant_sites": ["left:hip_thigh", "leg_foot"],
    "local_infection_or_lesion": "no",
    "lesion_sites": [],
    "immunosuppressed": "no",
    "heart_valve_disease": "no",
    "diabetes": "no",
    "impaired_sensation": "no",
    "epilepsy": "no",
    "epilepsy_controlled": "unknown",
    "vasovagal_history": "no",
    "metal_allergy": "no",
    "recent_surgery": "no",
    "surgery_sites": [],
    "lung_disease": "no",
    "age": 61,
}
REASON = {
    "rule_id": "lymphoedema_site",
    "text": "[extensor_digitorum@right:forearm_hand] Do not needle into a limb or area with lymphoedema.",
    "citations": ["white2001_adverse"],
    "evidence": "guideline_secondary",
}
OLD_DECISION: dict[str, Any] = {
    "techniques": [
        {"technique": "trigger_point_dn", "decision": "do_not_needle", "reasons": [REASON], "precautions": []}
    ],
    "missing_answers": [],
    "sites": [
        {
            "site": "extensor_digitorum@right:forearm_hand",
            "techniques": [
                {"technique": "trigger_point_dn", "decision": "do_not_needle", "reasons": [REASON], "precautions": []}
            ],
        }
    ],
}
DEMO = {"pacemaker": False, "anticoagulants": True, "pregnant": False}


def _seed(engine: Engine) -> None:
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO clinic (id, name, created_at) VALUES (1, 'C', :t)"), {"t": NOW})
        c.execute(
            sa.text(
                "INSERT INTO app_user (id, clinic_id, username, display_name, role, password_hash, active, created_at)"
                " VALUES (1, 1, 'u', 'U', 'clinician', 'h', true, :t)"
            ),
            {"t": NOW},
        )
        c.execute(
            sa.text(
                "INSERT INTO patient (id, clinic_id, mrn, given_name, family_name, birth_date, sex, version,"
                " created_at) VALUES (1, 1, 'M1', 'A', 'B', :b, 'female', 1, :t)"
            ),
            {"b": date(1965, 1, 1), "t": NOW},
        )
        table = sa.table(
            "screening",
            *(sa.column(n) for n in ("id", "clinic_id", "patient_id", "screened_at", "engine_version")),
            *(sa.column(n) for n in ("version", "created_by", "created_at")),
            sa.column("answers", sa.JSON),
            sa.column("decision", sa.JSON),
        )
        rows = [
            (1, OLD_ANSWERS, OLD_DECISION),
            (2, {"intake": OLD_ANSWERS, "sites": []}, {"techniques": []}),
            (3, DEMO, {"techniques": []}),
        ]
        for rid, answers, decision in rows:
            c.execute(
                table.insert().values(
                    id=rid,
                    clinic_id=1,
                    patient_id=1,
                    screened_at=NOW,
                    engine_version="web-1",
                    version=1,
                    created_by=1,
                    created_at=NOW,
                    answers=answers,
                    decision=decision,
                )
            )


def _read(engine: Engine) -> dict[int, tuple[Any, Any]]:
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT id, answers, decision FROM screening ORDER BY id")).all()
    load = sa.JSON().result_processor(engine.dialect, None)  # SQLite returns text from a raw SELECT
    return {
        r.id: tuple(v if isinstance(v, dict) else (load(v) if load else v) for v in (r.answers, r.decision))
        for r in rows
    }


def test_old_screenings_survive_the_upgrade(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine, "0003")
    _seed(engine)
    upgrade(engine)
    rows = _read(engine)
    assert sorted(rows) == [1, 2, 3]
    answers, decision = rows[1]
    intake = Intake.from_data(answers)  # the converted row validates under today's questionnaire
    assert intake.lymphoedema_sites == ("right:upper_arm", "right:elbow_joint")
    assert intake.implant_sites == (
        "left:buttock",
        "left:hip_joint",
        "left:groin",
        "left:thigh",
        "left:knee_joint",
        "knee_joint",
        "leg",
        "ankle_joint",
        "foot",
    )
    assert intake.anticoagulant == "vka" and intake.inr == 2.4 and intake.age == 61
    result = ScreeningResult.model_validate(decision)
    reason = result.techniques[0].reasons[0]
    assert reason.text == "Do not needle into a limb or area with lymphoedema."  # meaning kept, prefix moved
    assert reason.site == "Extensor digitorum, right" and reason.site_key == "extensor_digitorum@right:forearm_hand"
    assert result.sites[0].label == "Extensor digitorum, right" and result.sites[0].target == "extensor_digitorum"
    assert result.techniques[0].decision.value == "do_not_needle"  # what the clinician saw stays
    wrapped = rows[2][0]
    assert Intake.from_data(wrapped["intake"]).lymphoedema_sites == ("right:upper_arm", "right:elbow_joint")
    assert rows[3][0] == DEMO  # rows in another shape are left alone
    engine.dispose()


def test_downgrade_returns_coarse_areas(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(engine, "0003")
    _seed(engine)
    upgrade(engine)
    command.downgrade(alembic_config(engine), "0003")
    answers = _read(engine)[1][0]
    assert answers["lymphoedema_sites"] == ["right:arm", "right:forearm_hand"]  # each site to the area holding it
    assert "bmi" not in answers
    engine.dispose()
