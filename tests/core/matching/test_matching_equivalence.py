"""The engine ranks and explains exactly as the code it replaced (tests/core/matching/reference_matcher.py).

Same targets in the same order, same scores (to 1e-9), same shared ranks, same explanations,
same set cover, same single trigger points, on every evaluation case and on random drawings:
scattered regions, and regions taken from one or two targets' own zones with their mirror
images (where scores are high, several trigger points combine and left and right tie).
"""

from dataclasses import fields

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_matcher import ReferenceMatcher

from filiform.core.atlas.build import load_atlas
from filiform.core.atlas.model import Atlas
from filiform.core.concepts import Side
from filiform.core.matching import DrawnRegion, Finding, PainDrawing, default_engine
from filiform.core.matching.evaluation import CASE_SETS, load_cases

ENGINE = default_engine()
REFERENCE = ReferenceMatcher(ENGINE)
REGIONS = sorted(load_atlas().regions)
HYPS = ENGINE.index.hyps
MUSCLES = sorted(ENGINE.kb.muscles)
KINDS = ["ache", "ache", "stabbing", "burning", "pins_and_needles", "numbness"]
FINDINGS = ["recognised_pain", "twitch_response", "spot_tenderness", "taut_band", "weakness", "restricted_range"]


def assert_same(new, old, what: str) -> None:
    """Field by field: floats to 1e-9, everything else (order, ids, ranks, tuples, reasons) exact."""
    assert type(new) is type(old), what
    for f in fields(old):
        a, b = getattr(new, f.name), getattr(old, f.name)
        if isinstance(b, float):
            assert a == pytest.approx(b, rel=0, abs=1e-9), f"{what}.{f.name}: {a} != {b}"
        else:
            assert a == b, f"{what}.{f.name}: {a!r} != {b!r}"


def assert_same_result(drawing: PainDrawing, priors=None, limit: int | None = 20) -> None:
    new = ENGINE.match(drawing, priors=priors, limit=limit)
    old = REFERENCE.match(drawing, priors=priors, limit=limit)
    assert [(m.muscle_id, m.side) for m in new.muscles] == [(m.muscle_id, m.side) for m in old.muscles]
    for i, (a, b) in enumerate(zip(new.muscles, old.muscles, strict=True)):
        assert_same(a, b, f"muscles[{i}]")
    assert [(m.muscle_id, m.side) for m in new.cover] == [(m.muscle_id, m.side) for m in old.cover]
    for i, (a, b) in enumerate(zip(new.cover, old.cover, strict=True)):
        assert_same(a, b, f"cover[{i}]")
    assert (new.unexplained_by_any, new.notes, new.nothing_explains) == (
        old.unexplained_by_any,
        old.notes,
        old.nothing_explains,
    )
    assert len(new.ranked) == len(old.ranked)
    for i, (a, b) in enumerate(zip(new.ranked, old.ranked, strict=True)):
        assert_same(a, b, f"ranked[{i}]")


@pytest.mark.parametrize("which", sorted(CASE_SETS))
@pytest.mark.parametrize("limit", [None, 20, 3])
def test_every_evaluation_case_gives_what_the_replaced_code_gave(which, limit):
    for case in load_cases(which=which).cases:
        regions = tuple(DrawnRegion(region=r, intensity=6, kind=case.kind) for r in case.regions)
        assert_same_result(PainDrawing(regions=regions), limit=limit)


painted = st.builds(
    lambda i, k, d, c: {"intensity": i, "kind": k, "depth": d, "coverage": c},
    st.integers(0, 10),
    st.sampled_from(KINDS),
    st.sampled_from([None, None, "deep", "surface"]),
    st.sampled_from([1.0, 1.0, 0.5, 0.25, 0.8]),
)


@st.composite
def region_ids(draw) -> list[str]:
    """Scattered regions, or some of one or two targets' zones with (often) their mirror images."""
    if draw(st.booleans()):
        return draw(st.lists(st.sampled_from(REGIONS), min_size=1, max_size=20, unique=True))
    chosen: list[str] = []
    for h in draw(st.lists(st.sampled_from(HYPS), min_size=1, max_size=2)):
        zones = sorted(h.zones)
        chosen += draw(st.lists(st.sampled_from(zones), min_size=1, max_size=len(zones), unique=True))
    if draw(st.booleans()):
        chosen += [Atlas.mirror_id(r) for r in chosen]
    return sorted(set(chosen))


@st.composite
def drawings(draw) -> PainDrawing:
    ids = draw(region_ids())
    regions = [DrawnRegion(region=r, **draw(painted)) for r in ids]
    if all(r.intensity == 0 for r in regions):
        regions[0] = DrawnRegion(region=ids[0], intensity=5)
    examined = draw(st.lists(st.tuples(st.sampled_from(MUSCLES), st.sampled_from(list(Side))), unique=True, max_size=3))
    kinds = st.lists(st.sampled_from(FINDINGS), min_size=1, max_size=3)
    found = tuple(Finding(muscle=m, side=s, **dict.fromkeys(draw(kinds), True)) for m, s in examined)
    return PainDrawing(regions=tuple(regions), findings=found)


@settings(derandomize=True, max_examples=400, deadline=None)
@given(
    drawings(),
    st.dictionaries(st.sampled_from(MUSCLES), st.sampled_from([0.5, 1.5, 2.0, 3.0]), max_size=3),
    st.sampled_from([None, 1, 3, 5, 20, 20]),
)
def test_random_drawings_give_what_the_replaced_code_gave(drawing, priors, limit):
    assert_same_result(drawing, priors=priors or None, limit=limit)


@settings(derandomize=True, max_examples=150, deadline=None)
@given(drawings(), st.sampled_from([None, 3, 20]))
def test_grouping_only_the_rows_above_zero_gives_the_same_result(drawing, limit):
    # what a large base does (MatchEngine.sparse_from), here on the shipped one
    ENGINE.sparse_from = 0
    try:
        assert_same_result(PainDrawing(regions=drawing.regions), limit=limit)
    finally:
        ENGINE.sparse_from = 4096
