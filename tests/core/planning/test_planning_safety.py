"""The plan carries every danger the knowledge base knows, and the data no longer contradicts itself."""

from __future__ import annotations

from datetime import date

import pytest

from filiform.core.kb.loader import load_kb
from filiform.core.planning.loader import load_conditions
from filiform.core.planning.plan import PlanRequest, build_plan
from filiform.core.safety.intake import CLEAR_ANSWERS, Intake, PatientBody

DAY = date(2026, 3, 2)
KB = load_kb()


def plan(condition: str, side: str = "right", body: PatientBody | None = None, **changes: object):  # type: ignore[no-untyped-def]
    intake = Intake.from_data({**CLEAR_ANSWERS, "age": 45, "bmi": 24.0, **changes})
    return build_plan(
        PlanRequest(
            condition=condition, side=side, intake=intake, body=body or PatientBody(), today=DAY, max_targets=15
        )
    )


@pytest.mark.parametrize(
    ("condition", "target", "structure"),
    [
        ("sciatica_deep_gluteal", "piriformis", "sciatic_nerve"),
        ("sciatica_deep_gluteal", "piriformis", "inferior_gluteal_vessels_pudendal_nerve"),
        ("temporomandibular_disorder", "lateral_pterygoid", "maxillary_artery_pterygoid_plexus"),
        ("headache_tension_cervicogenic", "suboccipitals", "spinal_cord_cervical"),
        ("carpal_tunnel_syndrome", "median_nerve_wrist", "palmar_cutaneous_branch_median"),
        ("myofascial_low_back", "lumbar_multifidus", "lumbar_spinal_canal"),
        ("plantar_heel_pain", "gastrocnemius", "popliteal_vessels"),
        ("myofascial_low_back", "gluteus_medius", "superior_gluteal_neurovascular_bundle"),
    ],
)
def test_each_target_carries_its_own_danger_rules(condition: str, target: str, structure: str) -> None:
    built = plan(condition)
    planned = next(t for t in built.targets if t.target == target)
    assert structure in {d.structure for d in planned.danger}
    assert all(d.citations and d.rule for d in planned.danger)


def test_ultrasound_only_and_condition_notes_reach_the_plan() -> None:
    built = plan("sciatica_deep_gluteal")
    nerve = next(t for t in built.targets if t.target == "sciatic_nerve_deep_gluteal")
    assert nerve.ultrasound_only and nerve.decision.value == "caution"
    assert nerve.condition_note and "never into" in nerve.condition_note


def test_precautions_appear_once_with_their_targets_and_evidence() -> None:
    built = plan("myofascial_neck_shoulder", side="left", anticoagulant="doac")
    texts = [p.text for p in built.precaution_details]
    assert len(texts) == len(set(texts))
    compress = next(p for p in built.precaution_details if p.text.startswith("Compress each site"))
    assert len(compress.targets) == len(built.targets) and "narrative_review" in compress.evidence
    assert "munoz2022_antithrombotic" in compress.citations


def test_needle_guidance_differs_for_a_thin_woman_and_a_heavy_man() -> None:
    thin = plan("myofascial_neck_shoulder", side="left", body=PatientBody(bmi=18, sex="female"), bmi=18.0)
    heavy = plan("myofascial_neck_shoulder", side="left", body=PatientBody(bmi=35, sex="male"), bmi=35.0)
    caps = (
        {t.target: t.needle.max_safe_depth_mm for t in thin.targets if t.needle.lung_adjacent},
        {t.target: t.needle.max_safe_depth_mm for t in heavy.targets if t.needle.lung_adjacent},
    )
    assert caps[0] and all(caps[0][k] is not None and caps[0][k] < caps[1][k] for k in caps[0])  # type: ignore[operator]


def test_screening_bmi_is_used_when_the_body_has_none() -> None:
    built = plan("myofascial_neck_shoulder", side="left", bmi=35.0)
    trap = next(t for t in built.targets if t.target == "upper_trapezius")
    assert trap.needle.max_safe_depth_mm == 15.0


def test_contradictions_listed_in_the_issue_are_fixed_in_the_data() -> None:
    headache = load_conditions()["headache_tension_cervicogenic"]
    note = next(t.note for t in headache.targets if t.target == "suboccipitals") or ""
    assert "never caudal-medially" in note and "caudal direction" not in note
    plantar = KB.targets["plantar_fascia_origin"]
    rule = next(d.rule for d in plantar.danger if d.structure == "plantar_nerves_vessels")
    assert "stay on the bone side" not in rule and "do not drive it deep" in rule
    for scalene in ("anterior_scalene", "middle_scalene", "posterior_scalene"):
        assert {"vertebral_artery", "subclavian_vessels"} <= {d.structure for d in KB.targets[scalene].danger}
    rhomboid = KB.targets["rhomboid_major"].needling[0].direction
    assert rhomboid.index("Tangentially") < rhomboid.index("last resort")
