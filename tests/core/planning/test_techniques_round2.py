"""The round-two techniques: which are electrical, and that conditions using them give settings."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from filiform.core.concepts import Technique
from filiform.core.planning.loader import load_conditions, load_techniques
from filiform.core.planning.models import Condition


def test_electrical_techniques_are_flagged() -> None:
    electrical = {t for t in Technique if t.is_electrical}
    assert electrical == {Technique.ELECTRICAL, Technique.PENS, Technique.PERCUTANEOUS_ELECTROLYSIS}
    assert not Technique.NEEDLE_TENOTOMY.is_electrical


@pytest.mark.parametrize("tid", ["percutaneous_electrolysis", "pens", "needle_tenotomy"])
def test_new_techniques_have_parameters_evidence_and_sources(tid: str) -> None:
    spec = load_techniques()[tid]
    assert spec.how and spec.typical_needle and spec.evidence_note and spec.citations


def test_electrical_reference_dosing_cites_the_open_access_trials() -> None:
    spec = load_techniques()["electrical_dn"]
    assert spec.electrical is not None
    assert {"dunning2018_plantar_edn", "dunning2018_knee_edn"} <= set(spec.electrical.citations)
    assert spec.electrical.verified is False  # frequency and pulse width were not confirmed


def test_a_condition_using_pens_must_give_electrical_settings() -> None:
    data = load_conditions()["tarsal_tunnel_syndrome"].model_dump(mode="json")
    data["electrical"] = None
    with pytest.raises(ValidationError, match="electrical technique"):
        Condition.model_validate_json(json.dumps(data))


def test_electrical_screening_rules_also_cover_pens_and_electrolysis() -> None:
    from filiform.core.safety.rules import load_rules

    rules = load_rules()
    electrical_rules = [r for r in rules.rules if "electrical_dn" in r.techniques and "all" not in r.techniques]
    assert electrical_rules
    for rule in electrical_rules:
        covered = rule.technique_set()
        assert {Technique.PENS, Technique.PERCUTANEOUS_ELECTROLYSIS} <= covered, rule.id
        assert Technique.NEEDLE_TENOTOMY not in covered or Technique.NEEDLE_TENOTOMY.value in rule.techniques
