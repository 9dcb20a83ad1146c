"""Tendons, ligaments and periarticular sites are ranked by pain over themselves (ICON 2019:
tendinopathy is pain in the tendon); scars and nerves are not local hypotheses."""

from __future__ import annotations

import pytest

from filiform.core.matching import default_engine
from filiform.core.matching.models import DrawnRegion, PainDrawing


def _drawing(*regions: str, kind: str = "ache") -> PainDrawing:
    return PainDrawing(regions=tuple(DrawnRegion(region=r, intensity=6, kind=kind) for r in regions))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("regions", "expected"),
    [
        (("right-achilles", "right-heel-posterior"), "achilles_tendon"),  # its own two regions (tendons/achilles)
        (("left-lateral-epicondyle",), "common_extensor_origin"),
    ],
)
def test_pain_over_a_tendon_ranks_it_first(regions: tuple[str, ...], expected: str) -> None:
    result = default_engine().match(_drawing(*regions), limit=5)
    first = [r for r in result.muscles if r.rank == 1]
    assert expected in {r.muscle_id for r in first}, [(r.muscle_id, r.rank, r.score) for r in result.muscles]
    row = next(r for r in first if r.muscle_id == expected)
    assert row.kind == "local"
    assert set(row.essential_hits) == set(regions)  # explained by the structure's own site


def test_scars_are_not_ranked_by_pain_over_them() -> None:
    engine = default_engine()
    scars = {t.id for t in engine.kb.targets.values() if t.kind == "scar"}
    assert scars
    result = engine.match(_drawing("right-lower-abdomen", "right-lower-rectus"), limit=50)
    assert not scars & {r.muscle_id for r in result.muscles}


def test_a_numb_patch_over_a_tendon_counts_less_than_an_ache_there() -> None:
    engine = default_engine()
    ache = engine.match(_drawing("right-achilles"), limit=5)
    numb = engine.match(_drawing("right-achilles", kind="numbness"), limit=5)

    def score(result: object) -> float:
        return next(r.score for r in result.muscles if r.muscle_id == "achilles_tendon")  # type: ignore[attr-defined]

    assert score(numb) < score(ache)  # the muscle family's numbness factor (0.5), docs/matching.md
