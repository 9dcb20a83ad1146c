"""An instrument file whose structure does not fit its scoring method is refused when it loads.

Each case takes a shipped instrument and breaks one thing its published scoring relies on:
NPRS is one 0-10 rating (identity), PGIC one 7-point rating (transition), the KOOS averages
items within its five subscales and reverses them (100 - mean x 25), PRTEE has a pain and a
function part, STarT Back a psychosocial subscale, the NDI's percentage needs one item
maximum, VISA-A sums its branch section. The shipped files themselves all pass.
"""

from __future__ import annotations

from typing import Any

import pytest

from filiform.core.outcomes.models import Instrument
from filiform.core.outcomes.registry import get_instrument, list_instruments
from filiform.core.outcomes.scoring import check_method_fits


def broken(instrument_id: str, **change: Any) -> Instrument:
    return get_instrument(instrument_id).model_copy(update=change)


def items_of(instrument_id: str, **change: Any) -> tuple[Any, ...]:
    """The instrument's items with ``change`` applied to the first scored one."""
    items = list(get_instrument(instrument_id).items)
    first = next(n for n, i in enumerate(items) if i.scored)
    items[first] = items[first].model_copy(update=change)
    return tuple(items)


def scale_of(instrument_id: str, name: str, **change: Any) -> dict[str, Any]:
    scales = dict(get_instrument(instrument_id).scales)
    scales[name] = scales[name].model_copy(update=change)
    return scales


@pytest.mark.parametrize("instrument", list_instruments(), ids=lambda i: i.id)
def test_every_shipped_instrument_fits_its_method(instrument: Instrument) -> None:
    check_method_fits(instrument)


def _one_more_scale(instrument_id: str, like: str, name: str, **change: Any) -> dict[str, Any]:
    scales = dict(get_instrument(instrument_id).scales)
    scales[name] = scales[like].model_copy(update=change)
    return scales


def _two_items(instrument_id: str) -> tuple[Any, ...]:
    item = get_instrument(instrument_id).items[0]
    return (item, item.model_copy(update={"id": "second"}))


@pytest.mark.parametrize(
    ("instrument", "message"),
    [
        (broken("nprs", items=_two_items("nprs")), "nprs: identity needs exactly one scored item"),
        (broken("pgic", items=_two_items("pgic")), "pgic: transition needs exactly one scored item"),
        (broken("koos", items=items_of("koos", subscale=None)), "koos: every KOOS item needs a subscale"),
        (broken("start_back", subscales=()),
         "start_back: STarT Back scoring needs exactly one (psychosocial) subscale"),
        (broken("prtee", items=items_of("prtee", subscale="other")), "prtee: PRTEE items must be pain or function"),
        (broken("ndi", scales=_one_more_scale("ndi", "section", "six", max=6), items=items_of("ndi", scale="six")),
         "ndi: items do not share one maximum"),
        (broken("visa_a", scoring=get_instrument("visa_a").scoring.model_copy(update={"method": "mean"})),
         "visa_a: branch items are only summed"),
        (broken("ndi", scales=scale_of("ndi", "section", higher_is_better=None)),
         "ndi: scale 'section' needs higher_is_better"),
        (broken("ndi", higher_is_better=True), "ndi: item scale 'section' direction contradicts the score's"),
        (broken("lefs", higher_is_better=False), "lefs: item scale 'difficulty' direction contradicts the score's"),
        (broken("koos", scales=scale_of("koos", "likert", higher_is_better=True)),
         "koos: item scale 'likert' direction contradicts the score's"),
    ],
    ids=["identity-two-items", "transition-two-items", "koos-no-subscale", "start-back-no-subscale",
         "prtee-other-part", "ndi-two-maxima", "branch-not-summed", "no-direction", "ndi-direction",
         "lefs-direction", "koos-not-reversed"],
)  # fmt: skip
def test_a_structure_that_does_not_fit_is_refused(instrument: Instrument, message: str) -> None:
    with pytest.raises(ValueError) as refused:
        check_method_fits(instrument)
    assert str(refused.value) == message
