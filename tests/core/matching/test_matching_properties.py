"""Invariants of the referral-pattern score, proved over random drawings."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filiform.core.atlas.build import load_atlas
from filiform.core.atlas.model import Atlas
from filiform.core.matching import DrawnRegion, PainDrawing, default_engine
from filiform.errors import ValidationFailed

ATLAS = load_atlas()
REGION_IDS = sorted(ATLAS.regions)
ENGINE = default_engine()

drawn = st.lists(
    st.tuples(st.sampled_from(REGION_IDS), st.integers(min_value=1, max_value=10)),
    min_size=1,
    max_size=10,
    unique_by=lambda t: t[0],
)


def drawing(items) -> PainDrawing:
    return PainDrawing(regions=tuple(DrawnRegion(region=r, intensity=i) for r, i in items))


def by_key(result):
    return {(r.muscle_id, r.side.value): r for r in result.muscles}


@settings(max_examples=60, deadline=None)
@given(drawn, st.randoms(use_true_random=False))
def test_region_order_never_matters(items, rnd):
    shuffled = list(items)
    rnd.shuffle(shuffled)
    a, b = ENGINE.match(drawing(items)), ENGINE.match(drawing(shuffled))
    assert [(r.muscle_id, r.side, r.score, r.rank, r.tps) for r in a.muscles] == [
        (r.muscle_id, r.side, r.score, r.rank, r.tps) for r in b.muscles
    ]
    assert [(r.tp_id, r.side, r.score) for r in a.ranked] == [(r.tp_id, r.side, r.score) for r in b.ranked]
    assert [(r.muscle_id, r.side) for r in a.cover] == [(r.muscle_id, r.side) for r in b.cover]


@settings(max_examples=60, deadline=None)
@given(drawn)
def test_a_mirrored_drawing_gives_mirrored_results(items):
    mirrored = [(Atlas.mirror_id(r), i) for r, i in items]
    a = by_key(ENGINE.match(drawing(items), limit=None))
    b = by_key(ENGINE.match(drawing(mirrored), limit=None))
    other = {"left": "right", "right": "left"}
    assert {(m, other[s]) for m, s in a} == set(b)
    for (m, side), r in a.items():
        twin = b[(m, other[side])]
        assert twin.score == pytest.approx(r.score)
        assert twin.rank == r.rank
        assert sorted(Atlas.mirror_id(x) for x in r.explained) == sorted(twin.explained)


@settings(max_examples=60, deadline=None)
@given(drawn, st.data())
def test_adding_a_region_inside_a_pattern_never_lowers_its_coverage_or_score(items, data):
    before = ENGINE.match(drawing(items), limit=None)
    if not before.muscles:
        return
    target = data.draw(st.sampled_from(before.muscles))
    zones = next(
        h.zones
        for h in ENGINE.index.hyps
        if h.target_id == target.muscle_id and h.side is target.side and h.tps == target.tps
    )
    unpainted = sorted(set(zones) - {r for r, _ in items})
    if not unpainted:
        return
    extra = data.draw(st.sampled_from(unpainted))
    after = by_key(ENGINE.match(drawing([*items, (extra, data.draw(st.integers(1, 10)))]), limit=None))
    again = after[(target.muscle_id, target.side.value)]
    assert again.score > target.score  # the winning hypothesis gained, so the target did
    if again.tps == target.tps:
        assert again.pattern_coverage >= target.pattern_coverage
        assert extra in again.explained


@settings(max_examples=60, deadline=None)
@given(drawn)
def test_no_ranked_score_is_zero_or_below_and_ties_share_a_rank(items):
    result = ENGINE.match(drawing(items), limit=None)
    assert result.nothing_explains == (not result.muscles)
    for i, m in enumerate(result.muscles):
        assert m.score > 0
        assert m.rank == 1 + sum(1 for o in result.muscles if o.score > m.score)
        if i:
            assert result.muscles[i - 1].score >= m.score


@settings(max_examples=40, deadline=None)
@given(drawn)
def test_the_cover_explains_everything_its_short_list_explains(items):
    from filiform.core.matching.engine import COVER_POOL

    result = ENGINE.match(drawing(items), limit=None)
    pool = {r for t in result.muscles[:COVER_POOL] for r in t.explained}
    covered = {r for t in result.cover for r in t.explained}
    assert pool <= covered
    assert set(result.unexplained_by_any) == {r for r, _ in items} - set(ENGINE.index.columns)


def test_an_empty_drawing_is_a_clear_error():
    with pytest.raises(ValidationFailed, match="empty"):
        ENGINE.match(PainDrawing(regions=()))
    with pytest.raises(ValidationFailed, match="empty"):
        ENGINE.match(drawing([("right-temple-middle", 0)]))


def test_unknown_and_duplicate_regions_are_rejected():
    with pytest.raises(ValidationFailed, match="unknown region"):
        ENGINE.match(drawing([("right-nowhere", 3)]))
    with pytest.raises(ValidationFailed, match="twice"):
        ENGINE.match(drawing([("right-temple-middle", 3), ("right-temple-middle", 4)]))
