"""check_session: what saving a session must refuse, and what needs a written reason."""

from __future__ import annotations

from datetime import date

from filiform.core.safety.circuits import CircuitPath
from filiform.core.safety.intake import CLEAR_ANSWERS, Intake, PatientBody
from filiform.core.safety.session_check import InsertionFact, PlannedRange, check_session

DAY = date(2026, 3, 2)
CLEAR = Intake.from_data({**CLEAR_ANSWERS, "age": 40, "bmi": 27.0})


def needle(target: str, side: str, depth: float, technique: str = "trigger_point_dn") -> InsertionFact:
    return InsertionFact(target=target, side=side, technique=technique, depth_mm=depth, needle_length_mm=40)


def kinds(problems: list) -> dict[str, str]:  # type: ignore[type-arg]
    return {p.rule_id: p.kind for p in problems}


def test_a_clear_session_within_its_ranges_has_no_problem() -> None:
    assert check_session(CLEAR, [needle("extensor_digitorum", "left", 12)], on=DAY) == []


def test_no_screening_is_refused() -> None:
    problems = check_session(None, [needle("extensor_digitorum", "left", 12)], on=DAY)
    assert kinds(problems) == {"screening_missing": "refused"}


def test_depth_past_the_lung_cap_is_refused_and_beyond_the_plan_needs_a_reason() -> None:
    body = PatientBody(sex="female")
    problems = check_session(CLEAR, [needle("rhomboid_major", "left", 16)], on=DAY, body=body)
    assert kinds(problems) == {"depth_beyond_cap": "refused"}  # BMI 27: cap 15 mm
    assert problems[0].site == "Rhomboid major, left" and problems[0].insertion == 1
    planned = {"piriformis:right": PlannedRange(min_mm=10, max_mm=35)}
    deep = check_session(CLEAR, [needle("piriformis", "right", 70)], on=DAY, planned=planned)
    assert kinds(deep) == {"depth_beyond_plan": "needs_reason"}
    assert "10-35 mm" in deep[0].text


def test_second_thoracic_side_and_prohibited_rules_are_refused() -> None:
    problems = check_session(CLEAR, [needle("rhomboid_major", "left", 8), needle("rhomboid_minor", "right", 8)], on=DAY)
    assert kinds(problems) == {"thorax_second_side": "refused"}
    assert problems[0].insertion == 2


def test_a_do_not_needle_site_needs_a_reason_unless_the_rule_forbids_override() -> None:
    lymph = Intake.from_data({**CLEAR_ANSWERS, "age": 40, "lymphoedema": "yes", "lymphoedema_sites": ["right:arm"]})
    problems = check_session(lymph, [needle("extensor_digitorum", "right", 10)], on=DAY)
    assert kinds(problems) == {"lymphoedema_site": "needs_reason"}
    no_consent = Intake.from_data({**CLEAR_ANSWERS, "age": 40, "consents_to_needling": "no"})
    assert kinds(check_session(no_consent, [needle("extensor_digitorum", "right", 10)], on=DAY)) == {
        "consent_refused": "refused"
    }


def test_an_ultrasound_only_target_without_ultrasound_is_refused() -> None:
    nerve = [needle("sciatic_nerve_deep_gluteal", "right", 40, "perineural")]
    problems = check_session(CLEAR, nerve, on=DAY)
    assert kinds(problems) == {"ultrasound_only_sciatic_nerve_deep_gluteal": "refused"}
    assert check_session(CLEAR, nerve, on=DAY, ultrasound_guided=True) == []


def test_a_circuit_across_the_chest_is_refused() -> None:
    needles = [needle("extensor_digitorum", "left", 10, "electrical_dn"), needle("extensor_digitorum", "right", 10)]
    circuit = CircuitPath(label="c1", a="left:forearm", b="right:forearm")
    problems = check_session(CLEAR, needles, on=DAY, circuits=[circuit])
    assert kinds(problems) == {"circuit_across_chest": "refused"}
    assert problems[0].site == "circuit c1 (left forearm to right forearm)"
