"""The query's fast paths give exactly what the plain versions give.

The engine scores with one gather and one ``bincount`` over the regions' prepared columns,
finds the short list's explained regions in a dense table, builds ranked rows without the
frozen dataclass's per-field ``__init__``, rounds through a cache, and runs the set cover
lazily on the short list's positions; each is checked here against the plain computation
it replaces (the whole query against the replaced code: test_matching_equivalence.py).
"""

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filiform.core.concepts import Side
from filiform.core.matching import default_engine
from filiform.core.matching.cover import _cost, greedy_cover, greedy_cover_hits
from filiform.core.matching.engine import evidence_weights
from filiform.core.matching.explain import Painted, Query, _built, _round6
from filiform.core.matching.models import RankedMuscle

ENGINE = default_engine()
REGIONS = sorted(ENGINE.index.columns)
KINDS = ["ache", "stabbing", "burning", "pins_and_needles", "numbness"]


def _plain_scores(painted: dict[str, Painted]) -> np.ndarray:
    index = ENGINE.index
    scores = index.base.copy()
    for rid, region in painted.items():
        col = index.columns[rid]
        weights = evidence_weights(region)
        scores[col.rows] += region.coverage * (col.gain * weights[col.cls] - col.cost)
    return scores


painted_regions = st.dictionaries(
    st.sampled_from(REGIONS),
    st.builds(
        Painted,
        st.integers(1, 10),
        st.sampled_from(KINDS),
        st.sampled_from([None, "deep", "surface"]),
        st.floats(0.05, 1.0),
    ),
    min_size=1,
    max_size=25,
)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(painted_regions)
def test_flat_scoring_equals_scoring_region_by_region(painted):
    np.testing.assert_allclose(ENGINE.scores(painted), _plain_scores(painted), rtol=0, atol=1e-9)


def test_a_row_built_in_one_step_equals_one_built_by_its_constructor():
    fields = dict(
        muscle_id="temporalis", muscle_name="Temporalis", side=Side.RIGHT, score=3.5, best_tp="t1",
        explained=("right-temple-middle",), tps=("t1",), rank=1, kind="muscle", unexplained=(),
        essential_hits=("right-temple-middle",), spillover_hits=(), local_hits=(), pattern_coverage=0.25,
        drawing_explained=1.0, reasons=(),
    )  # fmt: skip
    built, made = _built(RankedMuscle, fields), RankedMuscle(**fields)
    assert built == made and hash(built) == hash(made) and repr(built) == repr(made)
    with pytest.raises(AttributeError):
        built.score = 0.0  # type: ignore[misc]
    with pytest.raises(TypeError, match="fields"):
        _built(RankedMuscle, {k: v for k, v in fields.items() if k != "reasons"})


@dataclass(frozen=True)
class _Cand:
    score: float
    explained: tuple[str, ...]


def _plain_cover(cands: list[_Cand], painted: dict[str, int]) -> list[_Cand]:
    """Recompute every candidate's value each round; ties go to the earlier candidate."""
    pool = [(c, frozenset(r for r in c.explained if r in painted), _cost(c.score)) for c in cands]
    remaining = set().union(*(regions for _, regions, _ in pool)) if pool else set()
    chosen = []
    while remaining:
        best_i, best_value = -1, 0.0
        for i, (_, regions, cost) in enumerate(pool):
            gain = sum(painted[r] for r in regions & remaining)
            if gain and gain / cost > best_value:
                best_i, best_value = i, gain / cost
        if best_i < 0:
            break
        cand, regions, _ = pool.pop(best_i)
        chosen.append(cand)
        remaining -= regions
    return chosen


names = [f"r{i}" for i in range(12)]


@settings(derandomize=True, max_examples=400, deadline=None)
@given(
    st.dictionaries(st.sampled_from(names), st.integers(1, 10), min_size=1),
    st.lists(
        st.builds(
            _Cand,
            st.sampled_from([-1.0, 0.5, 2.0, 2.0, 7.5, 20.0]),
            st.lists(st.sampled_from([*names, "elsewhere"]), max_size=6, unique=True).map(tuple),
        ),
        max_size=25,
    ),
)
def test_the_lazy_cover_chooses_what_the_plain_greedy_rule_chooses(painted, cands):
    assert greedy_cover(cands, painted) == _plain_cover(cands, painted)


@settings(derandomize=True, max_examples=400, deadline=None)
@given(
    st.dictionaries(st.sampled_from(names), st.integers(1, 10), min_size=1),
    st.lists(
        st.tuples(
            st.sampled_from([0.5, 2.0, 2.0, 7.5, 20.0]), st.lists(st.sampled_from(names), max_size=6, unique=True)
        ),
        max_size=25,
    ),
)
def test_the_cover_on_positions_chooses_what_the_plain_greedy_rule_chooses(painted, cands):
    # the engine's candidates explain painted regions only, listed in sorted order
    cands = [_Cand(score, tuple(sorted(r for r in regions if r in painted))) for score, regions in cands]
    weight = {r: float(v) for r, v in painted.items()}
    hits, scores = [c.explained for c in cands], [c.score for c in cands]
    chosen = greedy_cover_hits(hits, scores, weight)
    assert [cands[i] for i in chosen] == _plain_cover(cands, painted)
    assert len(set(chosen)) == len(chosen)
    # the engine passes each candidate's summed intensity, added up in another order
    gains = [float(sum(reversed([painted[r] for r in h]))) for h in hits]
    assert greedy_cover_hits(hits, scores, weight, gains) == chosen


@settings(derandomize=True, max_examples=200, deadline=None)
@given(painted_regions, st.lists(st.integers(0, len(ENGINE.index.hyps) - 1), min_size=1, max_size=30))
def test_the_table_lookup_splits_regions_as_the_zones_do(painted, rows):
    q = Query.of(painted, ENGINE.index.code_column)
    inside, outside, gains = q.split(ENGINE.index, rows)
    for row, hit, out, gain in zip(rows, inside, outside, gains, strict=True):
        assert gain == sum(painted[r].intensity for r in hit)
        zones = ENGINE.index.hyps[row].zones
        assert hit == q.hits(ENGINE.index.hyps[row]) == tuple(r for r in sorted(painted) if r in zones)
        assert out == tuple(r for r in sorted(painted) if r not in zones)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(st.floats(0, 1) | st.sampled_from([0.1234565, 0.0078125, 0.5, 1 / 3, 2 / 3, 0.0]))
def test_the_remembered_rounding_is_round(value):
    assert repr(_round6(value)) == repr(round(value, 6))
    assert repr(_round6(value)) == repr(round(value, 6))  # the second time from the cache
