"""Risk-stratification scoring (Keele STarT Back): a total and a subscale give a group.

The group is the result's ``band``. Kept apart from :mod:`scoring` because the rule is a
decision on two sums, not arithmetic on one.
"""

from __future__ import annotations

from .answers import Value
from .models import Instrument, ScoreResult, SubscaleScore
from .scoring import _enforce_missing_rule, _numeric, _result, _scored_items

LOW_TOTAL_MAX = 3  # total 0-3 is low risk
HIGH_PSYCHOSOCIAL_MIN = 4  # psychosocial 4-5 is high risk


def start_back_group(total: int, psychosocial: int) -> str:
    """Low, medium or high risk from the published STarT Back rule (Hill et al. 2008)."""
    if total <= LOW_TOTAL_MAX:
        return "low risk"
    if psychosocial >= HIGH_PSYCHOSOCIAL_MIN:
        return "high risk"
    return "medium risk"


def score_start_back(instrument: Instrument, values: dict[str, Value]) -> ScoreResult:
    """Every item must be answered; the risk group is meaningless on a partial form."""
    items = _scored_items(instrument)
    numbers = {item.id: _numeric(values[item.id]) for item in items}
    unanswered = [iid for iid, n in numbers.items() if n is None]
    _enforce_missing_rule(instrument, len(items), unanswered)
    total = sum(n for n in numbers.values() if n is not None)
    sub = instrument.subscales[0]
    psych_items = [i for i in items if i.subscale == sub.id]
    psych = sum(numbers[i.id] or 0 for i in psych_items)
    subscale = SubscaleScore(
        id=sub.id,
        name=sub.name,
        value=float(psych),
        min=sub.min,
        max=sub.max,
        items_answered=len(psych_items),
        items_total=len(psych_items),
    )
    return _result(
        instrument,
        float(total),
        answered=len(items),
        items_total=len(items),
        subscales=(subscale,),
        band=start_back_group(total, psych),
    )
