"""Property tests over every scorable instrument, driven by its own metadata.

* totals and subscales stay inside the instrument's declared range;
* answers are order-independent within a group of interchangeable items;
* a worse answer on one item never improves the score in the declared direction;
* answers allowed by the missing-item rule always score, inside the range.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filiform.core.outcomes import Instrument, ScoreResult, list_instruments, score
from filiform.core.outcomes.answers import Branched
from filiform.core.outcomes.models import ResponseScale, ScaleKind, ScoringMethod

INSTRUMENTS = [i for i in list_instruments() if i.scorable]
IDS = [i.id for i in INSTRUMENTS]
SETTINGS = settings(max_examples=60, deadline=None)


def answer_strategy(scale: ResponseScale) -> st.SearchStrategy[Any]:
    if scale.kind is ScaleKind.INTEGER:
        assert scale.min is not None and scale.max is not None
        return st.integers(scale.min, scale.max)
    if scale.kind is ScaleKind.CHOICE:
        return st.sampled_from(scale.values)
    if scale.kind is ScaleKind.YES_NO:
        return st.sampled_from([0, 1])
    return st.sampled_from([Branched(b, v) for b, values in scale.branches.items() for v in values])


def complete_answers(instrument: Instrument) -> st.SearchStrategy[list[Any]]:
    return st.tuples(*(answer_strategy(instrument.scale_of(i)) for i in instrument.items)).map(list)


def values_of(result: ScoreResult) -> dict[str, float]:
    out = {s.id: s.value for s in result.subscales}
    if result.total is not None:
        out["total"] = result.total
    return out


def assert_in_range(instrument: Instrument, result: ScoreResult) -> None:
    for name, value in values_of(result).items():
        low, high = instrument.scale_range(name)
        assert low - 1e-9 <= value <= high + 1e-9, (instrument.id, name, value)


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_total_within_range(instrument: Instrument) -> None:
    @SETTINGS
    @given(complete_answers(instrument))
    def check(answers: list[Any]) -> None:
        assert_in_range(instrument, score(instrument.id, answers))

    check()


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_extremes_reach_the_range_ends(instrument: Instrument) -> None:
    """All-best answers give the best end of the range and all-worst the worst end."""
    best, worst = [], []
    for item in instrument.items:
        scale = instrument.scale_of(item)
        assert scale.higher_is_better is not None
        hi_good, lo_bad = scale.best_worst(scale.higher_is_better)
        if scale.kind is ScaleKind.BRANCH:
            hi_good = next(Branched(b, v) for b, vs in scale.branches.items() for v in vs if v == hi_good)
            lo_bad = next(Branched(b, v) for b, vs in scale.branches.items() for v in vs if v == lo_bad)
        best.append(hi_good)
        worst.append(lo_bad)
    for answers, want_best in ((best, True), (worst, False)):
        for name, value in values_of(score(instrument.id, answers)).items():
            low, high = instrument.scale_range(name)
            if name == "overall_opinion":
                continue
            good_end = high if instrument.higher_is_better else low
            bad_end = low if instrument.higher_is_better else high
            assert value == (good_end if want_best else bad_end), (instrument.id, name)


def interchangeable_groups(instrument: Instrument) -> list[list[int]]:
    """Positions of items that a symmetric method treats alike (same scale and subscale)."""
    symmetric = {
        ScoringMethod.SUM,
        ScoringMethod.MEAN,
        ScoringMethod.PERCENT_OF_MAX,
        ScoringMethod.DASH,
        ScoringMethod.PRTEE,
        ScoringMethod.KOOS,
    }
    if instrument.scoring.method not in symmetric:
        return []
    groups: dict[tuple[str, str | None, bool], list[int]] = {}
    for pos, item in enumerate(instrument.items):
        groups.setdefault((item.scale, item.subscale, item.scored), []).append(pos)
    return [g for g in groups.values() if len(g) > 1]


ORDER_INSTRUMENTS = [i for i in INSTRUMENTS if interchangeable_groups(i)]


@pytest.mark.parametrize("instrument", ORDER_INSTRUMENTS, ids=[i.id for i in ORDER_INSTRUMENTS])
def test_order_independent_within_interchangeable_items(instrument: Instrument) -> None:
    groups = interchangeable_groups(instrument)

    @SETTINGS
    @given(complete_answers(instrument), st.randoms(use_true_random=False))
    def check(answers: list[Any], rnd: Any) -> None:
        shuffled = list(answers)
        for group in groups:
            values = [answers[p] for p in group]
            rnd.shuffle(values)
            for p, v in zip(group, values, strict=True):
                shuffled[p] = v
        assert values_of(score(instrument.id, answers)) == pytest.approx(values_of(score(instrument.id, shuffled)))

    check()


def worse_answers(scale: ResponseScale, value: Any) -> list[Any]:
    """Every answer on ``scale`` that is worse than ``value`` (same branch for VISA-A item 8)."""
    assert scale.higher_is_better is not None
    sign = 1 if scale.higher_is_better else -1
    if scale.kind is ScaleKind.BRANCH:
        return [Branched(value.branch, v) for v in scale.branches[value.branch] if sign * v < sign * value.value]
    if scale.kind is ScaleKind.INTEGER:
        assert scale.min is not None and scale.max is not None
        options = list(range(scale.min, scale.max + 1))
    elif scale.kind is ScaleKind.CHOICE:
        options = list(scale.values)
    else:
        options = [0, 1]
    return [v for v in options if sign * v < sign * value]


@pytest.mark.parametrize("instrument", INSTRUMENTS, ids=IDS)
def test_worse_answer_never_improves_the_score(instrument: Instrument) -> None:
    sign = 1 if instrument.higher_is_better else -1

    @SETTINGS
    @given(complete_answers(instrument), st.data())
    def check(answers: list[Any], data: st.DataObject) -> None:
        pos = data.draw(st.integers(0, len(answers) - 1))
        item = instrument.items[pos]
        options = worse_answers(instrument.scale_of(item), answers[pos])
        if not options:
            return
        changed = list(answers)
        changed[pos] = data.draw(st.sampled_from(options))
        before = values_of(score(instrument.id, answers))
        after = values_of(score(instrument.id, changed))
        for name, value in after.items():
            if name == "overall_opinion":
                continue
            assert sign * value <= sign * before[name] + 1e-9, (instrument.id, name)

    check()


def allowed_missing(instrument: Instrument) -> int:
    rule = instrument.scoring
    n = len([i for i in instrument.items if i.scored])
    if rule.max_missing is not None:
        return rule.max_missing
    if rule.min_answered is not None:
        return n - rule.min_answered
    return 0


MISSING_INSTRUMENTS = [i for i in INSTRUMENTS if allowed_missing(i) > 0 and i.scoring.method is not ScoringMethod.KOOS]


@pytest.mark.parametrize("instrument", MISSING_INSTRUMENTS, ids=[i.id for i in MISSING_INSTRUMENTS])
def test_missing_answers_within_the_rule_still_score_in_range(instrument: Instrument) -> None:
    limit = allowed_missing(instrument)

    @SETTINGS
    @given(complete_answers(instrument), st.data())
    def check(answers: list[Any], data: st.DataObject) -> None:
        scored = [p for p, item in enumerate(instrument.items) if item.scored]
        blanks = data.draw(st.lists(st.sampled_from(scored), max_size=limit, unique=True))
        for pos in blanks:
            answers[pos] = None
        result = score(instrument.id, answers)
        assert_in_range(instrument, result)
        if instrument.optional_trailing_items:
            assert result.items_answered == len(scored) - len(blanks)
        else:
            assert result.prorated == bool(blanks)

    check()
