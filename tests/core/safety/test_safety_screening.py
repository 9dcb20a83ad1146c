"""Screening table tests (one row per listed contraindication/precaution) and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filiform.core.concepts import Technique
from filiform.core.kb.models import BodyArea
from filiform.core.safety.decision import Decision
from filiform.core.safety.intake import CLEAR_ANSWERS, QUESTIONS, Intake, Site
from filiform.core.safety.rules import load_rules
from filiform.core.safety.screening import missing_answers, screen

CLEAR = {**CLEAR_ANSWERS, "age": 40}
ALL = frozenset(Technique)
EDN = frozenset({Technique.ELECTRICAL})
ARM_L = Site(area=BodyArea.ARM, side="left")
ARM_R = Site(area=BodyArea.ARM, side="right")
DEEP = Site(area=BodyArea.TRUNK, side="left", target="quadratus_lumborum", compressible=False)
SHALLOW = Site(area=BodyArea.FOREARM_HAND, side="left", target="extensor_digitorum")
THORAX_L = Site(area=BodyArea.NECK, side="left", target="upper_trapezius", lung_adjacent=True)
THORAX_R = Site(area=BodyArea.NECK, side="right", target="upper_trapezius", lung_adjacent=True)
FOOT = Site(area=BodyArea.LEG_FOOT, side="right")


def intake(**changes: object) -> Intake:
    return Intake.from_data({**CLEAR, **changes})


def test_clear_intake_is_go_everywhere() -> None:
    result = screen(intake(), [SHALLOW, ARM_L])
    assert all(t.decision == Decision.GO for t in result.techniques)
    assert result.missing_answers == ()


# (changes, sites, techniques checked, expected decision, site label checked or None for overall)
TABLE = [
    ({"capacity_to_consent": "no"}, [], ALL, Decision.DO_NOT_NEEDLE, None),
    ({"consents_to_needling": "no"}, [], ALL, Decision.DO_NOT_NEEDLE, None),
    ({"needle_phobia": "yes"}, [], ALL, Decision.DO_NOT_NEEDLE, None),
    ({"acute_illness": "yes"}, [], ALL, Decision.DO_NOT_NEEDLE, None),
    ({"red_flags": "yes"}, [], ALL, Decision.DO_NOT_NEEDLE, None),
    # anticoagulation: a precaution with conditions, never an automatic refusal
    ({"anticoagulant": "doac"}, [SHALLOW], ALL, Decision.CAUTION, SHALLOW.label),
    ({"anticoagulant": "vka", "inr": 2.5}, [SHALLOW], ALL, Decision.CAUTION, SHALLOW.label),
    ({"anticoagulant": "vka", "inr": 2.5}, [DEEP], ALL, Decision.CAUTION, DEEP.label),
    ({"anticoagulant": "vka", "inr": 3.8}, [SHALLOW], ALL, Decision.CAUTION, SHALLOW.label),
    ({"anticoagulant": "vka", "inr": 3.8}, [DEEP], ALL, Decision.DO_NOT_NEEDLE, DEEP.label),
    ({"anticoagulant": "vka"}, [SHALLOW], ALL, Decision.CAUTION, SHALLOW.label),
    ({"antiplatelet": "yes"}, [SHALLOW], ALL, Decision.CAUTION, SHALLOW.label),
    ({"bleeding_disorder": "yes"}, [DEEP], ALL, Decision.CAUTION, DEEP.label),
    ({"pregnant": "yes", "pregnancy_trimester": 2}, [], ALL, Decision.CAUTION, None),
    ({"pregnant": "yes", "pregnancy_trimester": 1}, [DEEP], ALL, Decision.CAUTION, DEEP.label),
    ({"lymphoedema": "yes", "lymphoedema_sites": ["left:arm"]}, [ARM_L], ALL, Decision.DO_NOT_NEEDLE, ARM_L.label),
    ({"lymphoedema": "yes", "lymphoedema_sites": ["left:arm"]}, [ARM_R, ARM_L], ALL, Decision.CAUTION, ARM_R.label),
    ({"lymphoedema": "yes"}, [ARM_R], ALL, Decision.DO_NOT_NEEDLE, ARM_R.label),  # sites unknown: everywhere
    ({"implanted_electrical_device": "yes"}, [], EDN, Decision.DO_NOT_NEEDLE, None),
    ({"implanted_electrical_device": "yes"}, [SHALLOW], ALL - EDN, Decision.GO, SHALLOW.label),
    ({"implants": "yes", "implant_sites": ["right:leg_foot"]}, [FOOT], ALL, Decision.CAUTION, FOOT.label),
    (
        {"local_infection_or_lesion": "yes", "lesion_sites": ["leg_foot"]},
        [FOOT],
        ALL,
        Decision.DO_NOT_NEEDLE,
        FOOT.label,
    ),
    ({"immunosuppressed": "yes"}, [], ALL, Decision.CAUTION, None),
    ({"heart_valve_disease": "yes"}, [], ALL, Decision.CAUTION, None),
    ({"diabetes": "yes"}, [FOOT], ALL, Decision.CAUTION, FOOT.label),
    ({"impaired_sensation": "yes"}, [], EDN, Decision.CAUTION, None),
    ({"epilepsy": "yes", "epilepsy_controlled": "yes"}, [], ALL, Decision.CAUTION, None),
    ({"epilepsy": "yes", "epilepsy_controlled": "no"}, [], EDN, Decision.DO_NOT_NEEDLE, None),
    ({"vasovagal_history": "yes"}, [], ALL, Decision.CAUTION, None),
    ({"metal_allergy": "yes"}, [], ALL, Decision.CAUTION, None),
    ({"recent_surgery": "yes", "surgery_sites": ["right:leg_foot"]}, [FOOT], ALL, Decision.CAUTION, FOOT.label),
    ({"lung_disease": "yes"}, [THORAX_L], ALL, Decision.CAUTION, THORAX_L.label),
    ({}, [THORAX_L], ALL, Decision.CAUTION, THORAX_L.label),  # lung-adjacent is always a caution
    ({"age": 15}, [], ALL, Decision.CAUTION, None),
]


@pytest.mark.parametrize(("changes", "sites", "techniques", "expected", "where"), TABLE)
def test_rule_table(
    changes: dict[str, object],
    sites: list[Site],
    techniques: frozenset[Technique],
    expected: Decision,
    where: str | None,
) -> None:
    result = screen(intake(**changes), sites)
    for t in techniques:
        got = result.for_site(where, t) if where else result.for_technique(t)
        assert got.decision == expected, (changes, t, got.reasons)
        if expected != Decision.GO:
            assert got.reasons, "a restriction always says why"


def test_both_sides_of_thorax_flagged_in_one_session() -> None:
    result = screen(intake(), [THORAX_L, THORAX_R])
    d = result.for_site(THORAX_R.label, Technique.TRIGGER_POINT)
    assert any(r.rule_id == "thorax_both_sides" for r in d.reasons)
    single = screen(intake(), [THORAX_L]).for_site(THORAX_L.label, Technique.TRIGGER_POINT)
    assert all(r.rule_id != "thorax_both_sides" for r in single.reasons)


def test_anticoagulation_alone_never_refuses_shallow_needling() -> None:
    for drug in ("vka", "doac", "heparin", "other"):
        result = screen(intake(anticoagulant=drug, inr=2.2 if drug == "vka" else None), [SHALLOW])
        assert result.allows(Technique.TRIGGER_POINT)


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_every_unknown_answer_is_never_go(question: str) -> None:
    data = dict(CLEAR)
    data.pop(question, None)
    parents = {
        "inr": {"anticoagulant": "vka"},
        "pregnancy_trimester": {"pregnant": "yes"},
        "epilepsy_controlled": {"epilepsy": "yes"},
    }
    data.update(parents.get(question, {}))
    result = screen(Intake.from_data(data))
    assert question in result.missing_answers
    assert all(t.decision != Decision.GO for t in result.techniques)


def test_every_question_has_an_unknown_rule() -> None:
    covered = {c.q for r in load_rules().rules for c in r.when if c.missing}
    assert set(QUESTIONS) <= covered


# --- properties -----------------------------------------------------------------------

RISK = {name: ("no" if clear == "yes" else "yes") for name, clear in CLEAR_ANSWERS.items()}
YESNO = st.sampled_from(["yes", "no", "unknown"])
SITES = st.lists(st.sampled_from([ARM_L, ARM_R, DEEP, SHALLOW, THORAX_L, THORAX_R, FOOT]), max_size=4, unique=True)


@st.composite
def intakes(draw: st.DrawFn) -> Intake:
    data: dict[str, object] = {name: draw(YESNO) for name in CLEAR_ANSWERS}
    data["anticoagulant"] = draw(st.sampled_from(["no", "vka", "doac", "heparin", "other", "unknown"]))
    data["inr"] = draw(st.none() | st.floats(0.8, 6.0))
    data["pregnancy_trimester"] = draw(st.none() | st.sampled_from([1, 2, 3]))
    data["age"] = draw(st.none() | st.integers(5, 95))
    for lst in ("lymphoedema_sites", "implant_sites", "lesion_sites", "surgery_sites"):
        data[lst] = draw(st.lists(st.sampled_from(["arm", "left:arm", "right:leg_foot", "trunk"]), max_size=2))
    return Intake.from_data(data)


def _levels(intake_: Intake, sites: list[Site]) -> dict[str, int]:
    result = screen(intake_, sites)
    out = {f"*/{t.technique.value}": t.decision.severity for t in result.techniques}
    for sd in result.sites:
        out.update({f"{sd.site}/{t.technique.value}": t.decision.severity for t in sd.techniques})
    return out


@settings(max_examples=60, deadline=None)
@given(intakes(), SITES, st.sampled_from(sorted(RISK)))
def test_adding_a_risk_factor_never_relaxes_a_decision(base: Intake, sites: list[Site], question: str) -> None:
    before = _levels(base.model_copy(update={question: CLEAR_ANSWERS[question]}), sites)
    after = _levels(base.model_copy(update={question: RISK[question]}), sites)
    assert all(after[k] >= before[k] for k in before), question


@settings(max_examples=40, deadline=None)
@given(intakes(), SITES, st.floats(0.8, 6.0), st.floats(0.0, 3.0))
def test_higher_inr_never_relaxes_a_decision(base: Intake, sites: list[Site], inr: float, rise: float) -> None:
    base = base.model_copy(update={"anticoagulant": "vka"})
    low = _levels(base.model_copy(update={"inr": inr}), sites)
    high = _levels(base.model_copy(update={"inr": inr + rise}), sites)
    assert all(high[k] >= low[k] for k in low)


@settings(max_examples=60, deadline=None)
@given(intakes(), SITES)
def test_missing_answers_never_give_go(base: Intake, sites: list[Site]) -> None:
    result = screen(base, sites)
    if missing_answers(base):
        assert all(t.decision != Decision.GO for t in result.techniques)
