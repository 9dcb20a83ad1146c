"""QA: score files and item-id answers are validated, never guessed."""

from __future__ import annotations

from datetime import date

import pytest

from filiform.core.outcomes.answers import parse_answer_list
from filiform.core.outcomes.series import parse_score_series
from filiform.errors import ValidationFailed


def test_a_valid_series_keeps_every_point_in_order() -> None:
    series = parse_score_series(
        {
            "instrument": "nprs",
            "scores": [{"date": date(2026, 1, 5), "value": 7}, {"date": "2026-01-05", "value": 4, "label": "after"}],
        }
    )
    assert [p.value for p in series.points] == [7.0, 4.0] and series.points[1].label == "after"


@pytest.mark.parametrize(
    "data",
    [
        {"instrument": "nprs", "scores": [{"date": "2026-01-05", "value": "7"}]},
        {"instrument": "nprs", "scores": [{"date": "2026-01-05", "value": False}]},
        {"instrument": "nprs", "scores": [{"date": 20260105, "value": 7}]},
        {"instrument": "nprs", "scores": [{"date": "2026-01-05", "value": 7, "answers": [7]}]},
        {"instrument": "nprs", "scores": [{"date": "2026-01-05", "vlaue": 7}]},
        {"instrument": "nprs", "scores": {"date": "2026-01-05", "value": 7}},
        {"instrument": "nprs", "scale": ["total"], "scores": []},
        {"instrument": "nprs", "titel": "x", "scores": []},
    ],
)
def test_malformed_series_are_refused(data: object) -> None:
    with pytest.raises(ValidationFailed):
        parse_score_series(data)


def test_an_item_id_answered_twice_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="twice"):
        parse_answer_list("s1=1,s1=5")
