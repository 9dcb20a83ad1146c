"""The rule file's own grammar: what a clause matches, what a malformed rule is refused for,
and what a rule's technique list stands for. docs/safety.md ("How a decision is made"):
an unanswered question is ``unknown`` or empty; a rule restricts (never "go"), names a
source, applies to sites or circuits but not both, and ``electrical_dn`` covers every
technique that passes a current through the needle.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from filiform.core.concepts import Technique
from filiform.core.safety.decision import Decision
from filiform.core.safety.intake import CLEAR_ANSWERS, Intake
from filiform.core.safety.rules import CircuitFilter, Clause, Rule, RuleSet, SiteFilter, load_rules
from filiform.core.safety.screening import evaluate

CLEAR: dict[str, Any] = {**CLEAR_ANSWERS, "age": 40, "bmi": 24.0}


def answers(**changes: object) -> Intake:
    return Intake.from_data({k: v for k, v in {**CLEAR, **changes}.items() if v is not None})


def clause(**spec: object) -> Clause:
    return Clause.model_validate_json(json.dumps(spec), strict=True)


def site_filter(spec: dict[str, object]) -> SiteFilter:
    return SiteFilter.model_validate_json(json.dumps(spec), strict=True)


def circuit_filter(spec: dict[str, object]) -> CircuitFilter:
    return CircuitFilter.model_validate_json(json.dumps(spec), strict=True)


@pytest.mark.parametrize(
    ("spec", "intake", "holds"),
    [
        ({"q": "needle_phobia", "missing": True}, answers(needle_phobia="unknown"), True),
        ({"q": "needle_phobia", "missing": True}, answers(needle_phobia="no"), False),
        ({"q": "age", "missing": True}, answers(age=None), True),
        ({"q": "age", "missing": True}, answers(age=0), False),  # 0 is an answer, not a gap
        ({"q": "needle_phobia", "eq": "yes"}, answers(needle_phobia="yes"), True),
        ({"q": "needle_phobia", "eq": "yes"}, answers(needle_phobia="no"), False),
        ({"q": "anticoagulant", "any_of": ["vka", "doac"]}, answers(anticoagulant="doac"), True),
        ({"q": "anticoagulant", "any_of": ["vka", "doac"]}, answers(anticoagulant="no"), False),
        ({"q": "anticoagulant", "none_of": ["no"]}, answers(anticoagulant="vka"), True),
        ({"q": "anticoagulant", "none_of": ["no"]}, answers(anticoagulant="no"), False),
        ({"q": "age", "gt": 17}, answers(age=18), True),
        ({"q": "age", "gt": 18}, answers(age=18), False),  # strictly greater
        ({"q": "age", "lt": 18}, answers(age=17), True),
        ({"q": "age", "lt": 18}, answers(age=18), False),  # strictly less
        ({"q": "age", "lt": 18}, answers(age=None), False),  # no number, no comparison
        ({"q": "age", "gt": 1}, answers(age=None), False),
        ({"q": "bmi", "lt": 18.5}, answers(bmi=18.4), True),
        ({"q": "needle_phobia", "gt": 0}, answers(needle_phobia="yes"), False),  # text is never a number
    ],
)
def test_what_a_clause_matches(spec: dict[str, object], intake: Intake, holds: bool) -> None:
    assert clause(**spec).holds(intake) is holds


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"q": "favourite_colour", "eq": "blue"}, "unknown question 'favourite_colour'"),
        ({"q": "age"}, "a clause needs exactly one of eq, any_of, none_of, gt, lt, missing"),
        ({"q": "age", "gt": 1, "lt": 9}, "a clause needs exactly one of eq, any_of, none_of, gt, lt, missing"),
        ({"q": "age", "eq": 3, "missing": True}, "a clause needs exactly one"),
        ({"q": "anticoagulant", "any_of": ["vka"], "none_of": ["no"]}, "a clause needs exactly one"),
    ],
)
def test_a_malformed_clause_is_refused(spec: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        clause(**spec)


@pytest.mark.parametrize("spec", [{"q": "age", "gt": 0}, {"q": "age", "lt": 0}, {"q": "age", "eq": 0},
                                  {"q": "anticoagulant", "none_of": ["x"]}])  # fmt: skip
def test_zero_and_one_entry_are_still_one_test(spec: dict[str, object]) -> None:
    assert clause(**spec).q == spec["q"]


def test_site_and_circuit_filters_name_known_lists() -> None:
    with pytest.raises(ValidationError, match="sites_from and near_sites_from must be one of"):
        site_filter({"sites_from": "favourite_sites"})
    with pytest.raises(ValidationError, match="sites_from and near_sites_from must be one of"):
        site_filter({"near_sites_from": "favourite_sites"})
    with pytest.raises(ValidationError, match="within_days needs sites_from naming a dated list"):
        site_filter({"sites_from": "lymphoedema_sites", "within_days": 30})
    with pytest.raises(ValidationError, match="within_days needs sites_from naming a dated list"):
        site_filter({"within_days": 30})
    dated = site_filter({"sites_from": "corticosteroid_injections", "within_days": 90})
    assert dated.within_days == 90
    assert site_filter({"near_sites_from": "implant_sites"}).near_sites_from == "implant_sites"
    with pytest.raises(ValidationError, match="near_sites_from must be one of"):
        circuit_filter({"near_sites_from": "corticosteroid_injections"})
    assert circuit_filter({"near_sites_from": "implant_sites"}).near_sites_from == "implant_sites"


BASE: dict[str, Any] = {
    "id": "made_up",
    "when": [{"q": "needle_phobia", "eq": "yes"}],
    "techniques": ["trigger_point_dn"],
    "decision": "caution",
    "text": "A made-up rule for the test.",
    "evidence": "expert_opinion",
    "source_note": "Written for this test only.",
}


def rule(**changes: object) -> Rule:
    return Rule.model_validate_json(json.dumps({**BASE, **changes}), strict=True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"techniques": ["acupuncture"]}, r"unknown technique\(s\) \['acupuncture'\]; use ids from Technique or 'all'"),
        ({"when": []}, "a rule without conditions must be limited to sites or circuits"),
        ({"site": {"lung_adjacent": True}, "circuit": {}}, "a rule applies to sites or to circuits, not both"),
        ({"source_note": None}, "a rule needs a source: citations, or a source_note saying what it rests on"),
        ({"decision": "go"}, "rules restrict; 'go' is what remains when none fires"),
        ({"techniques": []}, "at least 1 item"),
    ],
)
def test_a_malformed_rule_is_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        rule(**changes)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"when": [], "site": {"lung_adjacent": True}},
        {"when": [], "circuit": {}},
        {"source_note": None, "citations": ["kearns2019_screening"]},
        {"techniques": ["all"], "decision": "do_not_needle"},
    ],
)
def test_a_sound_rule_loads(changes: dict[str, object]) -> None:
    assert rule(**changes).id == "made_up"


def test_what_a_rules_technique_list_covers() -> None:
    assert rule(techniques=["all"]).technique_set() == frozenset(Technique)
    assert rule(techniques=["trigger_point_dn", "static_dn"]).technique_set() == {
        Technique.TRIGGER_POINT,
        Technique("static_dn"),
    }
    electrical = {Technique("electrical_dn"), Technique("percutaneous_electrolysis"), Technique("pens")}
    assert rule(techniques=["electrical_dn"]).technique_set() == electrical
    assert rule(techniques=["pens"]).technique_set() == {Technique("pens")}  # PENS alone is only PENS


def test_a_rule_fires_only_when_every_clause_holds() -> None:
    both = rule(when=[{"q": "needle_phobia", "eq": "yes"}, {"q": "age", "lt": 18}])
    assert both.fires(answers(needle_phobia="yes", age=12))
    assert not both.fires(answers(needle_phobia="yes", age=40))
    assert not both.fires(answers(needle_phobia="no", age=12))


def test_the_rule_set_finds_a_rule_by_id_and_refuses_an_empty_list() -> None:
    rules = load_rules()
    assert rules.rule("consent_unknown").id == "consent_unknown"
    with pytest.raises(StopIteration):
        rules.rule("no_such_rule")
    data = rules.model_dump(mode="json")
    data["rules"] = []
    with pytest.raises(ValidationError, match="at least 1 item"):
        RuleSet.model_validate_json(json.dumps(data), strict=True)


def test_a_question_without_its_own_unknown_rule_is_still_a_caution() -> None:
    """Remove the needle-phobia unknown rule: the unanswered question must not become a go."""
    shipped = load_rules()
    fewer = shipped.model_copy(
        update={
            "rules": tuple(r for r in shipped.rules if not any(c.q == "needle_phobia" and c.missing for c in r.when))
        }
    )
    assert len(fewer.rules) == len(shipped.rules) - 1
    result = evaluate(answers(needle_phobia="unknown"), rules=fewer, on=date(2026, 3, 2))
    for technique in Technique:
        decision = result.for_technique(technique)
        assert decision.decision is Decision.CAUTION
        (reason,) = [r for r in decision.reasons if r.rule_id == "unanswered"]
        assert reason.text == "Unanswered: Does the patient have a fear of needles that stops treatment?"
        assert (reason.evidence, reason.decision) == ("expert_opinion", Decision.CAUTION)
        assert "Complete the screening question before needling." in decision.precautions
    assert result.missing_answers == ("needle_phobia",)


def test_a_malformed_rule_file_stops_the_engine_with_every_located_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    from filiform.core.kb.yaml_source import Issue
    from filiform.core.safety import rules as rules_module
    from filiform.errors import KnowledgeBaseError

    found = [Issue("screening/rules.yaml", 12, "rules.3.decision: 'go' is what remains")]
    monkeypatch.setattr(rules_module, "load_rules_with_issues", lambda: (None, found, None))
    with pytest.raises(KnowledgeBaseError) as refused:
        load_rules.__wrapped__()  # the cached loader's own body, not the cached shipped rules
    assert refused.value.message == "screening rules are invalid"
    assert refused.value.details == [str(found[0])]
