"""Invariants of the safety engine, checked on seeded random intakes, sites and circuits.

* adding a risk factor never relaxes any decision (overall, per site, per circuit);
* a contradictory intake is refused;
* a missing answer never yields go.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from filiform.core.kb.loader import load_kb
from filiform.core.safety.circuits import CircuitPath
from filiform.core.safety.intake import CLEAR_ANSWERS, DATED_LISTS, SITE_LISTS, Intake
from filiform.core.safety.screening import evaluate, missing_answers
from filiform.core.safety.sites import PlannedSite, planned_sites

DAY = date(2026, 3, 2)
KB = load_kb()
RISK = {name: ("no" if clear == "yes" else "yes") for name, clear in CLEAR_ANSWERS.items()} | {"anticoagulant": "doac"}
YESNO = st.sampled_from(["yes", "no", "unknown"])
SITE_ANSWERS = ["right:arm", "left:knee_joint", "left:thigh", "spine_l4", "left:foot", "right:neck", "left:breast"]
TARGETS = [
    ("rhomboid_major", "left"),
    ("rhomboid_minor", "right"),
    ("quadratus_lumborum", "left"),
    ("extensor_digitorum", "right"),
    ("lumbar_multifidus", "left"),
    ("knee_periarticular_medial", "left"),
    ("achilles_tendon", "left"),
    ("lateral_pterygoid", "right"),
    ("sciatic_nerve_deep_gluteal", "right"),
    ("surgical_scar_superficial", "left"),
    ("gastrocnemius", "left"),
]
SITES = [planned_sites(KB, [t])[0] for t in TARGETS] + planned_sites(KB, [], ["left:orbit", "right:knee_joint"])
CIRCUITS = [
    CircuitPath(label="a", a="left:forearm", b="left:upper_arm"),
    CircuitPath(label="b", a="left:neck_posterior", b="right:neck_posterior"),
    CircuitPath(label="c", a="left:thigh", b="left:leg", frequency_hz=150),
    CircuitPath(label="d", a="left:low_back", b="left:buttock"),
]


@st.composite
def intakes(draw: st.DrawFn) -> Intake:
    data: dict[str, Any] = {name: draw(YESNO) for name in CLEAR_ANSWERS}
    data["anticoagulant"] = draw(st.sampled_from(["no", "vka", "doac", "heparin", "other", "unknown"]))
    data["inr"] = draw(st.none() | st.floats(0.8, 6.0))
    data["bmi"] = draw(st.none() | st.floats(15, 45))
    data["age"] = draw(st.none() | st.integers(0, 95))
    if data["pregnant"] == "yes":
        data["pregnancy_trimester"] = draw(st.none() | st.sampled_from([1, 2, 3]))
    for name, parent in SITE_LISTS.items():
        if data[parent] == "yes":
            picks = SITE_ANSWERS if name != "spinal_surgery_sites" else ["spine_l4", "spine_c5"]
            data[name] = draw(st.lists(st.sampled_from(picks), max_size=2, unique=True))
    if data["corticosteroid_injection"] == "yes":
        data["corticosteroid_injections"] = [{"site": "right:elbow_joint", "on": "2026-02-01"}]
    if data["acute_muscle_injury"] == "yes":
        data["muscle_injuries"] = [{"target": "gastrocnemius", "side": "left", "on": "2026-02-27"}]
    return Intake.from_data(data)


PLANS = st.lists(st.sampled_from(SITES), max_size=4, unique_by=lambda s: s.key)
WIRING = st.lists(st.sampled_from(CIRCUITS), max_size=2, unique_by=lambda c: c.label)


def _levels(intake: Intake, sites: list[PlannedSite], circuits: list[CircuitPath]) -> dict[str, int]:
    result = evaluate(intake, sites, circuits, on=DAY, kb=KB)
    out = {f"*/{t.technique.value}": t.decision.severity for t in result.techniques}
    for sd in result.sites:
        out.update({f"{sd.site}/{t.technique.value}": t.decision.severity for t in sd.techniques})
    out.update({f"circuit/{c.label}": c.decision.severity for c in result.circuits})
    return out


def _with(intake: Intake, **update: Any) -> Intake:
    data = intake.model_dump(mode="json")
    data.update(update)
    return Intake.from_data(data)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(intakes(), PLANS, WIRING, st.sampled_from(sorted(RISK)))
def test_adding_a_risk_factor_never_relaxes_a_decision(
    base: Intake, sites: list[PlannedSite], circuits: list[CircuitPath], question: str
) -> None:
    lists = [n for n, p in {**SITE_LISTS, **DATED_LISTS}.items() if p == question]
    cleared = {question: CLEAR_ANSWERS[question], **{n: [] for n in lists}}
    if question == "pregnant":
        cleared["pregnancy_trimester"] = None
    try:
        before_intake = _with(base, **cleared)
    except ValidationError:
        return  # the cleared answer would contradict another answer (e.g. a trimester): nothing to compare
    after_intake = _with(before_intake, **{question: RISK[question]})
    before = _levels(before_intake, sites, circuits)
    after = _levels(after_intake, sites, circuits)
    assert all(after[k] >= before[k] for k in before), question


@settings(max_examples=30, deadline=None, derandomize=True)
@given(intakes(), PLANS, st.sampled_from(sorted(SITE_LISTS)), st.sampled_from(SITE_ANSWERS))
def test_naming_one_more_affected_site_never_relaxes(
    base: Intake, sites: list[PlannedSite], name: str, site: str
) -> None:
    if name == "spinal_surgery_sites":
        site = "spine_l4"
    listed = list(getattr(base, name))
    if getattr(base, SITE_LISTS[name]) != "yes" or not listed or site in listed:
        return  # an empty list already means "everywhere"
    before = _levels(base, sites, [])
    after = _levels(_with(base, **{name: [*listed, site]}), sites, [])
    assert all(after[k] >= before[k] for k in before)


@settings(max_examples=30, deadline=None, derandomize=True)
@given(intakes(), PLANS, st.floats(0.8, 6.0), st.floats(0.0, 3.0))
def test_a_higher_inr_never_relaxes(base: Intake, sites: list[PlannedSite], inr: float, rise: float) -> None:
    low = _levels(_with(base, inr=inr), sites, [])
    high = _levels(_with(base, inr=min(inr + rise, 15.0)), sites, [])
    assert all(high[k] >= low[k] for k in low)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(intakes(), PLANS, WIRING)
def test_a_missing_answer_never_yields_go(base: Intake, sites: list[PlannedSite], circuits: list[CircuitPath]) -> None:
    result = evaluate(base, sites, circuits, on=DAY, kb=KB)
    if missing_answers(base, sites):
        assert all(t.decision.value != "go" for t in result.techniques)
        assert all(s.decision.value != "go" for s in result.sites)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    st.sampled_from(sorted({**SITE_LISTS, **DATED_LISTS}.items())),
    st.sampled_from(["no", "unknown"]),
)
def test_a_contradictory_intake_is_refused(entry: tuple[str, str], parent_answer: str) -> None:
    name, parent = entry
    value: Any = ["spine_l4"] if name in SITE_LISTS else []
    if name == "corticosteroid_injections":
        value = [{"site": "left:elbow_joint", "on": "2026-01-01"}]
    if name == "muscle_injuries":
        value = [{"target": "soleus", "side": "left", "on": "2026-01-01"}]
    with pytest.raises(ValidationError) as err:
        Intake.from_data({**CLEAR_ANSWERS, parent: parent_answer, name: value})
    assert name in str(err.value) and f"{parent}={parent_answer}" in str(err.value)
