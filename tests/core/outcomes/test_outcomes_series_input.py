"""A score series file (``{instrument, scores: [{date, value | answers}]}``) is read as
written or refused with the score and the problem named."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from filiform.core.outcomes.series import parse_score_series
from filiform.errors import ValidationFailed


def series(*entries: Any) -> dict[str, Any]:
    return {"instrument": "nprs", "scores": list(entries)}


def test_values_answers_and_dates_as_written() -> None:
    got = parse_score_series(series({"date": "2026-01-05", "value": 6}, {"date": date(2026, 1, 12), "answers": [4]}))
    assert [(p.when, p.value) for p in got.points] == [(date(2026, 1, 5), 6.0), (date(2026, 1, 12), 4.0)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["nprs"], "scores: expected a mapping with 'instrument' and 'scores'"),
        (series("2026-01-05"), "scores: score 1 needs a date"),
        (series({"date": "2026-01-05", "value": 6, "mood": 3}),
         "scores: score 1: unknown key(s) mood; allowed: answers, date, label, value"),
        (series({"date": "2026-01-05", "value": 6, "answers": [6]}),
         "scores: score 1: give either a value or answers, not both"),
        (series({"date": "2026-01-05", "value": "6"}), "scores: score 1: value must be a number, got '6'"),
        (series({"date": "2026-01-05", "value": True}), "scores: score 1: value must be a number, got True"),
        (series({"date": "2026-01-05"}), "scores: score 1 needs a value or answers"),
        (series({"date": "5 Jan 2026", "value": 6}), "scores: score 1: bad date '5 Jan 2026'; write YYYY-MM-DD"),
        (series({"date": datetime(2026, 1, 5, 9, 0), "value": 6}), "scores: score 1: bad date"),
    ],
)  # fmt: skip
def test_a_malformed_series_is_refused_naming_the_score(data: Any, message: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        parse_score_series(data)
    assert message in refused.value.message
