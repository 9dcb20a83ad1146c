"""What the engine writes into each reason, pinned field by field (docs/safety.md, "One
engine": every reason names its rule, a plain sentence, its sources, its evidence level,
the site in plain words and the machine key, its own decision and whether it may be set
aside), and the order a clinician reads them in: do-not-needle first.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from filiform.core.concepts import Technique
from filiform.core.kb.knowledge import KnowledgeBase
from filiform.core.kb.loader import load_kb
from filiform.core.safety.circuits import CircuitPath
from filiform.core.safety.decision import Decision, Reason
from filiform.core.safety.intake import CLEAR_ANSWERS, Intake
from filiform.core.safety.rules import RuleSet, UltrasoundOnly, load_rules, load_rules_with_issues
from filiform.core.safety.screening import evaluate, missing_answers, screen
from filiform.core.safety.sites import planned_sites
from filiform.errors import ValidationFailed

DAY = date(2026, 3, 2)
CLEAR: dict[str, Any] = {**CLEAR_ANSWERS, "age": 40, "bmi": 24.0}
PACEMAKER_TEXT = "No circuit may be run with an implanted pacemaker, defibrillator, stimulator or pump."
SCIATIC = "Sciatic nerve, deep gluteal (subgluteal) space, left"
SCIATIC_TEXT = (
    "Peri-neural needling of the sciatic nerve is done only under real-time ultrasound guidance, "
    "with the tip beside and never in the nerve."
)
SCIATIC_SOURCES = ("minguez2024_sciatic_depth", "huntoon2008_pns_lower", "hannah2023_piriformis")
ULTRASOUND_NOTE = "Needle only under real-time ultrasound guidance, and record it with the session."


def answers(**changes: object) -> Intake:
    return Intake.from_data({**CLEAR, **changes})


def sites(*pairs: tuple[str, str]) -> list[Any]:
    return planned_sites(load_kb(), list(pairs))


def without_unknown_rule(question: str) -> RuleSet:
    shipped = load_rules()
    kept = tuple(r for r in shipped.rules if not any(c.q == question and c.missing for c in r.when))
    return shipped.model_copy(update={"rules": kept})


def test_the_shipped_rule_file_loads_without_issues() -> None:
    rules, issues, doc = load_rules_with_issues()
    assert issues == [] and doc is not None
    assert rules == load_rules()
    assert rules is not None and rules.rule("circuit_device").text == PACEMAKER_TEXT


def test_screen_is_evaluate_without_circuits() -> None:
    fewer = without_unknown_rule("needle_phobia")
    intake, planned = answers(needle_phobia="unknown"), sites(("rhomboid_major", "left"))
    got = screen(intake, planned, rules=fewer)
    assert got == evaluate(intake, planned, rules=fewer, on=date.today())
    assert [s.site for s in got.sites] == ["rhomboid_major:left"]
    assert any(r.rule_id == "unanswered" for r in got.for_technique(Technique.TRIGGER_POINT).reasons)


def test_a_circuit_rule_with_no_circuit_planned_is_reported_capped_where_it_applies() -> None:
    """Pacemaker, a needle planned, no circuit yet: the circuit rule is a caution for now."""
    result = evaluate(answers(implanted_electrical_device="yes"), sites(("upper_trapezius", "left")), on=DAY)
    (reason,) = [r for r in result.for_technique(Technique.ELECTRICAL).reasons if r.rule_id == "circuit_device"]
    assert reason == Reason(
        rule_id="circuit_device",
        text="Where it applies: " + PACEMAKER_TEXT,
        citations=("vasilakos2011_pacemaker",),
        evidence="case_report",
        site=None,
        site_key=None,
        overridable=True,
        decision=Decision.CAUTION,
    )


def test_a_circuit_reason_names_the_circuit() -> None:
    c1 = CircuitPath(label="c1", a="left:forearm", b="left:upper_arm")
    result = evaluate(answers(implanted_electrical_device="yes"), circuits=[c1], on=DAY)
    (circuit,) = result.circuits
    assert circuit.decision is Decision.DO_NOT_NEEDLE
    (reason,) = [r for r in circuit.reasons if r.rule_id == "circuit_device"]
    assert reason == Reason(
        rule_id="circuit_device",
        text=PACEMAKER_TEXT,
        citations=("vasilakos2011_pacemaker",),
        evidence="case_report",
        site="circuit c1 (left forearm to left upper arm)",
        site_key="circuit:c1",
        overridable=True,
        decision=Decision.DO_NOT_NEEDLE,
    )


def _ultrasound_reason(decision: Decision) -> Reason:
    return Reason(
        rule_id="ultrasound_only_sciatic_nerve_deep_gluteal",
        text=SCIATIC_TEXT,
        citations=SCIATIC_SOURCES,
        evidence="expert_opinion",
        site=SCIATIC,
        site_key="sciatic_nerve_deep_gluteal:left",
        overridable=False,
        decision=decision,
    )


def test_an_ultrasound_only_target_without_ultrasound_is_refused_and_undecided_is_a_caution() -> None:
    planned = sites(("sciatic_nerve_deep_gluteal", "left"))
    for ultrasound, decision in ((False, Decision.DO_NOT_NEEDLE), (None, Decision.CAUTION)):
        result = evaluate(answers(), planned, on=DAY, ultrasound=ultrasound)
        at = result.for_site("sciatic_nerve_deep_gluteal:left", Technique.PERINEURAL)
        assert at.decision is decision
        assert _ultrasound_reason(decision) in at.reasons
        assert ULTRASOUND_NOTE in at.precautions
    guided = evaluate(answers(), planned, on=DAY, ultrasound=True)
    at = guided.for_site("sciatic_nerve_deep_gluteal:left", Technique.PERINEURAL)
    assert not any(r.rule_id.startswith("ultrasound_only") for r in at.reasons)
    # the entry names only some techniques: trigger point needling there has no such reason
    assert not any(
        r.rule_id.startswith("ultrasound_only")
        for r in evaluate(answers(), planned, on=DAY, ultrasound=False)
        .for_site("sciatic_nerve_deep_gluteal:left", Technique.TRIGGER_POINT)
        .reasons
    )


def test_every_ultrasound_only_entry_is_checked_not_only_the_first() -> None:
    shipped = load_rules()
    other = UltrasoundOnly(
        target="rhomboid_major",
        techniques=(Technique.PERINEURAL,),
        text="A made-up entry listed first.",
        evidence="expert_opinion",
        citations=("seol2014_rhomboid_depth",),
    )
    two = shipped.model_copy(update={"ultrasound_only": (other, *shipped.ultrasound_only)})
    result = evaluate(answers(), sites(("sciatic_nerve_deep_gluteal", "left")), on=DAY, ultrasound=False, rules=two)
    at = result.for_site("sciatic_nerve_deep_gluteal:left", Technique.PERINEURAL)
    assert _ultrasound_reason(Decision.DO_NOT_NEEDLE) in at.reasons


def test_do_not_needle_reasons_come_first_at_a_site() -> None:
    """Low BMI next to the lung is a site caution found first; no consent, a patient-wide
    refusal, is merged in afterwards; the clinician must read the refusal first."""
    result = evaluate(answers(bmi=17.0, consents_to_needling="no"), sites(("rhomboid_major", "left")), on=DAY)
    reasons = result.for_site("rhomboid_major:left", Technique.TRIGGER_POINT).reasons
    decisions = [r.decision for r in reasons]
    assert Decision.CAUTION in decisions and decisions[0] is Decision.DO_NOT_NEEDLE
    severities = [d.severity for d in decisions if d is not None]
    assert severities == sorted(severities, reverse=True)


def test_patient_wide_precautions_reach_every_site() -> None:
    planned = sites(("rhomboid_major", "left"))
    result = evaluate(answers(needle_phobia="unknown"), planned, on=DAY, rules=without_unknown_rule("needle_phobia"))
    at = result.for_site("rhomboid_major:left", Technique.TRIGGER_POINT)
    assert at.decision is Decision.CAUTION
    assert "Complete the screening question before needling." in at.precautions


def test_guardian_consent_is_asked_under_18_only() -> None:
    assert "guardian_consent" in missing_answers(answers(age=17, guardian_consent="unknown"))
    assert "guardian_consent" not in missing_answers(answers(age=18, guardian_consent="unknown"))


def test_a_skipped_question_does_not_hide_the_questions_after_it() -> None:
    """An adult's guardian consent and a BMI with nothing next to the lung are skipped; the
    questions after them in the list are still asked."""
    intake = Intake.from_data({"age": 40})
    missing = missing_answers(intake)
    assert "guardian_consent" not in missing and "bmi" not in missing
    assert {"needle_phobia", "acute_illness", "lung_disease"} <= set(missing)
    assert missing.index("needle_phobia") > missing.index("consents_to_needling")
    nothing = missing_answers(Intake.from_data({}))  # age unknown: guardian asked, BMI skipped, age last
    assert "guardian_consent" in nothing and "bmi" not in nothing and nothing[-1] == "age"


def test_a_yes_without_its_sites_asks_for_the_sites_and_never_falls_back_to_unanswered() -> None:
    no_sites = answers(lymphoedema="yes")
    assert "lymphoedema_sites" in missing_answers(no_sites)
    assert "lymphoedema_sites" not in missing_answers(answers(lymphoedema="yes", lymphoedema_sites=["right:arm"]))
    result = evaluate(no_sites, on=DAY)
    assert not any(r.rule_id == "unanswered" for t in result.techniques for r in t.reasons)


def test_several_unknown_injured_muscles_are_all_named() -> None:
    injuries = [{"target": name, "side": "left", "on": "2026-01-01"} for name in ("no_such", "nor_this")]
    with pytest.raises(ValidationFailed) as refused:
        evaluate(answers(acute_muscle_injury="yes", muscle_injuries=injuries), on=DAY)
    assert refused.value.message == "muscle_injuries names unknown target(s): no_such, nor_this"


def test_an_injection_or_injury_on_the_day_of_screening_is_not_in_the_future() -> None:
    today = DAY.isoformat()
    result = evaluate(
        answers(
            corticosteroid_injection="yes",
            corticosteroid_injections=[{"site": "left:elbow_joint", "on": today}],
            acute_muscle_injury="yes",
            muscle_injuries=[{"target": "soleus", "side": "left", "on": today}],
        ),
        on=DAY,
    )
    assert result.missing_answers == ()


def test_the_knowledge_base_given_is_the_one_used() -> None:
    injury = answers(
        acute_muscle_injury="yes", muscle_injuries=[{"target": "soleus", "side": "left", "on": "2026-01-01"}]
    )
    with pytest.raises(ValidationFailed, match="names unknown target"):
        evaluate(injury, on=DAY, kb=KnowledgeBase())


def test_circuit_labels_must_differ() -> None:
    twice = [CircuitPath(label="c1", a="left:forearm", b="left:upper_arm")] * 2
    with pytest.raises(ValidationFailed) as refused:
        evaluate(answers(), circuits=twice, on=DAY)
    assert refused.value.message == "each circuit needs its own label"


def test_each_site_and_circuit_result_says_what_it_is() -> None:
    across = CircuitPath(label="c2", a="left:forearm", b="right:forearm")
    result = evaluate(answers(), sites(("rhomboid_major", "left")), [across], on=DAY)
    (site,) = result.sites
    assert (site.site, site.label, site.target, site.side) == (
        "rhomboid_major:left", "Rhomboid major, left", "rhomboid_major", "left")  # fmt: skip
    (circuit,) = result.circuits
    assert (circuit.label, circuit.kinds, circuit.decision) == ("c2", ("across_chest",), Decision.DO_NOT_NEEDLE)
