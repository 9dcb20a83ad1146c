"""The engine's contract: unknown answers, contradictions, plain-word reasons, warnings, overall.

The per-rule table lives in docs/safety.md (test_safety_doc_cases.py); the invariants are
in test_safety_properties.py.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from filiform.core.concepts import Technique
from filiform.core.kb.loader import load_kb
from filiform.core.safety.decision import Decision
from filiform.core.safety.intake import CLEAR_ANSWERS, FOLLOW_UPS, QUESTIONS, Intake
from filiform.core.safety.rules import Rule, RuleSet, load_rules
from filiform.core.safety.screening import evaluate, missing_answers
from filiform.core.safety.sites import planned_sites
from filiform.errors import ValidationFailed

DAY = date(2026, 3, 2)
CLEAR: dict[str, Any] = {**CLEAR_ANSWERS, "age": 40, "bmi": 24.0}


def intake(**changes: object) -> Intake:
    return Intake.from_data({k: v for k, v in {**CLEAR, **changes}.items() if v is not None})


def sites(*targets: str, bare: tuple[str, ...] = ()) -> list[Any]:
    pairs = [(t.split(":")[0], t.split(":")[1] if ":" in t else None) for t in targets]
    return planned_sites(load_kb(), pairs, bare)


def test_clear_intake_is_go_everywhere() -> None:
    result = evaluate(intake(), sites("extensor_digitorum:left"), on=DAY)
    assert result.decision == Decision.GO and result.missing_answers == () and result.warnings == ()


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_every_unknown_answer_is_listed_and_never_go(question: str) -> None:
    data = {k: v for k, v in CLEAR.items() if k != question}
    parent = FOLLOW_UPS.get(question)
    if parent is not None:
        data[parent[0]] = parent[1]
    if question == "guardian_consent":
        data["age"] = 15
    planned = sites("rhomboid_major:left") if question == "bmi" else []
    result = evaluate(Intake.from_data(data), planned, on=DAY)
    assert question in result.missing_answers
    assert all(t.decision != Decision.GO for t in result.techniques)


def test_every_question_has_an_unknown_rule() -> None:
    covered = {c.q for r in load_rules().rules for c in r.when if c.missing}
    assert set(QUESTIONS) <= covered


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"pregnant": "no", "pregnancy_trimester": 2}, ("pregnancy_trimester=2", "pregnant=no")),
        ({"pregnant": "unknown", "pregnancy_trimester": 1}, ("pregnancy_trimester=1", "pregnant=unknown")),
        (
            {"local_infection_or_lesion": "no", "lesion_sites": ["left:foot"]},
            ("left:foot", "local_infection_or_lesion=no"),
        ),
        ({"lymphoedema": "unknown", "lymphoedema_sites": ["right:arm"]}, ("right:upper_limb", "lymphoedema=unknown")),
        (
            {"joint_replacement": "no", "joint_replacement_sites": ["left:knee"]},
            ("left:knee_joint", "joint_replacement=no"),
        ),
        (
            {
                "corticosteroid_injection": "no",
                "corticosteroid_injections": [{"site": "left:elbow", "on": "2026-01-02"}],
            },
            ("left:elbow_joint@2026-01-02", "corticosteroid_injection=no"),
        ),
        (
            {
                "acute_muscle_injury": "no",
                "muscle_injuries": [{"target": "soleus", "side": "left", "on": "2026-01-02"}],
            },
            ("soleus:left@2026-01-02", "acute_muscle_injury=no"),
        ),
    ],
)
def test_contradictory_answers_are_refused_naming_both(changes: dict[str, Any], named: tuple[str, str]) -> None:
    with pytest.raises(ValidationError) as err:
        intake(**changes)
    for text in named:
        assert text in str(err.value)


def test_spinal_surgery_names_levels_and_sites_must_exist() -> None:
    with pytest.raises(ValidationError, match="spine levels"):
        intake(spinal_surgery="yes", spinal_surgery_sites=["left:knee_joint"])
    with pytest.raises(ValidationError, match="unknown site"):
        intake(lymphoedema="yes", lymphoedema_sites=["left:wing"])
    with pytest.raises(ValidationError, match="midline"):
        intake(malignancy_at_site="yes", malignancy_sites=["left:umbilicus"])


def test_unknown_injured_muscle_and_future_dates_are_errors() -> None:
    bad = intake(acute_muscle_injury="yes", muscle_injuries=[{"target": "no_such", "side": "left", "on": "2026-01-01"}])
    with pytest.raises(ValidationFailed, match="no_such"):
        evaluate(bad, on=DAY)
    late = intake(acute_muscle_injury="yes", muscle_injuries=[{"target": "soleus", "side": "left", "on": "2026-05-01"}])
    with pytest.raises(ValidationFailed, match="after the day"):
        evaluate(late, on=DAY)


def test_reasons_name_the_site_in_plain_words_and_keep_ids_apart() -> None:
    result = evaluate(intake(anticoagulant="doac"), sites("lateral_pterygoid:right"), on=DAY)
    blocking = result.blocking_reasons()
    assert blocking and blocking[0].site == "Lateral pterygoid, right"
    assert blocking[0].site_key == "lateral_pterygoid:right"
    for td in result.techniques:
        for r in td.reasons:
            assert "@" not in r.text and "lateral_pterygoid" not in r.text and "[" not in r.text


def test_site_answer_matching_no_planned_site_is_a_visible_warning() -> None:
    answers = intake(lymphoedema="yes", lymphoedema_sites=["right:arm"])
    result = evaluate(answers, sites("gastrocnemius:left"), on=DAY)
    assert any("right arm" in w and "matches no planned site" in w for w in result.warnings)
    matched = evaluate(answers, sites("extensor_digitorum:right"), on=DAY)
    assert matched.warnings == ()


def test_right_arm_lymphoedema_reaches_every_right_forearm_target() -> None:
    forearm = ["extensor_digitorum", "flexor_carpi_radialis", "supinator", "brachioradialis", "pronator_teres"]
    planned = sites(*(f"{t}:right" for t in forearm))
    result = evaluate(intake(lymphoedema="yes", lymphoedema_sites=["right:arm"]), planned, on=DAY)
    assert [s.decision for s in result.sites] == [Decision.DO_NOT_NEEDLE] * len(forearm)


def test_overall_is_the_most_restrictive_of_techniques_sites_and_circuits() -> None:
    result = evaluate(intake(), sites("rhomboid_major:left", "rhomboid_minor:right"), on=DAY)
    assert result.sites[1].decision == Decision.DO_NOT_NEEDLE
    assert result.for_technique(Technique.TRIGGER_POINT).decision == Decision.DO_NOT_NEEDLE
    assert not result.allows(Technique.TRIGGER_POINT)


def test_patient_factor_without_planned_sites_is_reported_capped_at_caution() -> None:
    result = evaluate(intake(malignancy_at_site="yes", malignancy_sites=["left:thigh"]), on=DAY)
    reasons = result.for_technique(Technique.TRIGGER_POINT).reasons
    assert any(r.rule_id == "malignancy_site" and r.text.startswith("Where it applies") for r in reasons)
    assert result.decision == Decision.CAUTION


def test_anticoagulation_alone_never_refuses_shallow_needling() -> None:
    for drug in ("vka", "doac", "heparin", "other"):
        answers = intake(anticoagulant=drug, inr=2.2 if drug == "vka" else None)
        result = evaluate(answers, sites("extensor_digitorum:left"), on=DAY)
        assert result.allows(Technique.TRIGGER_POINT)


def test_the_rules_checker_refuses_a_rule_without_a_source() -> None:
    rule = load_rules().rule("vasovagal").model_dump(mode="json")
    rule.update(citations=[], source_note=None)
    with pytest.raises(ValidationError, match="needs a source"):
        Rule.model_validate_json(json.dumps(rule), strict=True)
    rule.update(source_note="short")
    with pytest.raises(ValidationError):
        Rule.model_validate_json(json.dumps(rule), strict=True)


def test_rule_set_refuses_duplicate_ids() -> None:
    data = load_rules().model_dump(mode="json")
    data["rules"].append(data["rules"][0])
    with pytest.raises(ValidationError, match="duplicate rule id"):
        RuleSet.model_validate_json(json.dumps(data), strict=True)


def test_missing_answers_skip_moot_follow_ups() -> None:
    base = intake(age=40)
    assert "guardian_consent" not in missing_answers(base.model_copy(update={"guardian_consent": "unknown"}))
    assert "bmi" not in missing_answers(base.model_copy(update={"bmi": None}))
    assert "bmi" in missing_answers(base.model_copy(update={"bmi": None}), sites("rhomboid_major:left"))
