"""The safety data's own integrity checks (run by ``filiform kb check``) find what they are
for, and the small parsers and lookups refuse bad input with a clear error, not a pass."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from filiform.core.atlas.build import load_atlas
from filiform.core.concepts import Technique
from filiform.core.kb.loader import load_kb
from filiform.core.safety.checks import check_safety_data
from filiform.core.safety.decision import Decision, Reason
from filiform.core.safety.intake import CLEAR_ANSWERS, Intake, parse_dated_site, parse_muscle_injury
from filiform.core.safety.rules import load_rules
from filiform.core.safety.screening import evaluate
from filiform.core.safety.sites import check_site_maps, planned_target, region_site, target_label
from filiform.errors import KnowledgeBaseError, NotFound, ValidationFailed

KB = load_kb()
REGIONS = list(load_atlas().regions)


def messages(issues: list[Any]) -> list[str]:
    return [i.message for i in issues]


def test_the_shipped_site_maps_are_complete() -> None:
    assert check_site_maps(KB.targets, REGIONS) == []
    assert check_safety_data(KB, load_rules()) == []


def test_a_target_or_region_without_a_site_and_a_site_for_nothing_are_reported() -> None:
    targets = [t for t in KB.targets if t != "upper_trapezius"] + ["phantom_muscle"]
    regions = [r for r in REGIONS if r != REGIONS[0]] + ["left-nowhere"]
    assert messages(check_site_maps(targets, regions)) == [
        "target 'phantom_muscle' has no site",
        "unknown target 'upper_trapezius'",
        "atlas region 'left-nowhere' has no site",
        f"unknown atlas region '{REGIONS[0]}'",
    ]
    assert check_site_maps(KB.targets, None) == []  # regions not given: not checked


def test_rules_naming_an_unknown_target_are_reported() -> None:
    shipped = load_rules()
    entry = shipped.ultrasound_only[0].model_copy(update={"target": "ghost_nerve"})
    named = next(r for r in shipped.rules if r.site is not None and r.site.targets)
    site = named.site.model_copy(update={"targets": (*named.site.targets, "phantom_muscle")})  # type: ignore[union-attr]
    rules = shipped.model_copy(
        update={
            "ultrasound_only": (entry,),
            "rules": tuple(r.model_copy(update={"site": site}) if r.id == named.id else r for r in shipped.rules),
        }
    )
    assert messages(check_safety_data(KB, rules)) == ["unknown target 'ghost_nerve'", "unknown target 'phantom_muscle'"]
    assert check_safety_data(KB, None) == []


def test_region_sites_and_planned_targets_refuse_what_they_cannot_place() -> None:
    assert region_site("right-lateral-epicondyle").side == "right"
    with pytest.raises(ValidationFailed, match="atlas region 'left-nowhere' has no anatomical site"):
        region_site("left-nowhere")
    with pytest.raises(ValidationFailed, match="side must be left or right, not 'up'"):
        planned_target(KB.targets["upper_trapezius"], "up")
    unmapped = KB.targets["upper_trapezius"].model_copy(update={"id": "unmapped_muscle"})
    with pytest.raises(KnowledgeBaseError, match="target 'unmapped_muscle' has no anatomical site"):
        planned_target(unmapped, "left")
    assert target_label(KB.targets["upper_trapezius"], None).endswith(" (side to confirm)")
    assert planned_target(KB.targets["upper_trapezius"], None).key == "upper_trapezius"


def test_intake_answers_must_be_plain_data() -> None:
    with pytest.raises(ValidationFailed) as refused:
        Intake.from_data({**CLEAR_ANSWERS, "age": 40, "when": date(2026, 1, 1)})
    assert refused.value.message == (
        "intake answers must be plain text, numbers or lists (not dates or other objects): when"
    )


@pytest.mark.parametrize("text", ["left:elbow_joint", "@2026-01-10", ""])
def test_a_dated_site_needs_site_and_date(text: str) -> None:
    with pytest.raises(ValidationFailed, match="write site@YYYY-MM-DD"):
        parse_dated_site(text)


def test_dated_site_and_muscle_injury_parse() -> None:
    assert parse_dated_site(" left:elbow_joint @ 2026-01-10 ") == {"site": "left:elbow_joint", "on": "2026-01-10"}
    assert parse_muscle_injury("gastrocnemius:left@2026-03-01") == {
        "target": "gastrocnemius", "side": "left", "on": "2026-03-01"}  # fmt: skip
    for bad in ("gastrocnemius@2026-03-01", "gastrocnemius:up@2026-03-01", "gastrocnemius:left", ":left@2026-03-01"):
        with pytest.raises(ValidationFailed, match="write muscle:side@YYYY-MM-DD"):
            parse_muscle_injury(bad)


def test_a_reason_is_shown_with_its_site_and_lookups_name_what_is_missing() -> None:
    plain = Reason(rule_id="r", text="Text.", evidence="expert_opinion", decision=Decision.CAUTION)
    assert plain.shown == "Text."
    assert plain.model_copy(update={"site": "Rhomboid major, left"}).shown == "Rhomboid major, left: Text."
    result = evaluate(Intake.from_data({**CLEAR_ANSWERS, "age": 40}), on=date(2026, 3, 2))
    with pytest.raises(KeyError):
        result.for_site("rhomboid_major:left", Technique.TRIGGER_POINT)
    assert result.allows(Technique.TRIGGER_POINT)


def test_trigger_points_are_found_by_muscle_or_by_their_own_id() -> None:
    assert [tp.id for tp in KB.trigger_points_for("upper_trapezius")][:2] == [
        "upper_trapezius_tp1",
        "upper_trapezius_tp2",
    ]
    assert [tp.id for tp in KB.trigger_points_for("upper_trapezius_tp2")] == ["upper_trapezius_tp2"]
    with pytest.raises(NotFound, match="no muscle or trigger point 'nothing_here'"):
        KB.trigger_points_for("nothing_here")
    with pytest.raises(NotFound, match="no target 'nothing_here' in the knowledge base"):
        KB.target("nothing_here")
