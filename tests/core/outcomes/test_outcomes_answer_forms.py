"""Answers as people type them (forms, the command line, imports): numbers as text, yes/no
words, VISA-A's branch answers, and the refusals that say what is allowed instead."""

from __future__ import annotations

from typing import Any

import pytest

from filiform.core.outcomes import score
from filiform.core.outcomes.answers import NA, Branched, parse_answer_list
from filiform.errors import ValidationFailed


@pytest.mark.parametrize("raw", ["7", " 7 ", "7.0", 7.0, 7])
def test_a_whole_number_in_any_spelling_is_accepted(raw: Any) -> None:
    assert score("nprs", [raw]).total == 7


@pytest.mark.parametrize(
    ("raw", "message"),
    [("7.5", "'7.5' is not a whole number"), (7.5, "7.5 is not a whole number"), ("seven", "'seven' is not a number"),
     (True, "True is not a number"), ([7], "[7] (list) is not accepted")],
)  # fmt: skip
def test_a_rating_that_is_not_a_whole_number_is_refused(raw: Any, message: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        score("nprs", [raw])
    assert message in str(refused.value) and "0–10" in str(refused.value)


def test_yes_and_no_in_words_numbers_and_booleans() -> None:
    """RMDQ: one point per statement that applies (Roland-Morris): three yes = 3."""
    yes: list[Any] = ["yes", "Y", True]
    no: list[Any] = ["no", "n", "false", "0", 0, False] + ["no"] * 15
    assert score("rmdq", yes + no).total == 3
    with pytest.raises(ValidationFailed, match="'maybe' is not accepted"):
        score("rmdq", ["maybe"] + ["no"] * 23)
    with pytest.raises(ValidationFailed, match="2 is not accepted"):
        score("rmdq", [2] + ["no"] * 23)


def visa(last: Any) -> list[Any]:
    return [10, 10, 10, 10, 10, 10, 0, last]


@pytest.mark.parametrize("last", ["B:14", "b: 14", {"branch": "B", "value": 14}, Branched("B", 14)])
def test_visa_a_branch_answers_in_every_form(last: Any) -> None:
    """VISA-A: six 0-10 items, item 7 (sport) 0, item 8 branch B (pain while training) 14:
    60 + 0 + 14 = 74."""
    assert score("visa_a", visa(last)).total == 74


@pytest.mark.parametrize(
    ("last", "message"),
    [("D:14", "branch 'D' is unknown"), ("B:x", "'x' is not a number"), ("B:15", "15 is not allowed in branch B"),
     (14, "14 is not accepted")],
)  # fmt: skip
def test_a_malformed_branch_answer_is_refused(last: Any, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        score("visa_a", visa(last))


def test_the_command_line_answer_list() -> None:
    assert parse_answer_list("1,2,,4") == ["1", "2", "", "4"]
    assert parse_answer_list("q1=1, q2=3,") == {"q1": "1", "q2": "3"}
    with pytest.raises(ValidationFailed, match="cannot mix positional answers and item=value answers"):
        parse_answer_list("q1=1,2")
    with pytest.raises(ValidationFailed, match="item 'q1' is answered twice"):
        parse_answer_list("q1=1,q1=2")


def test_not_applicable_is_one_marker() -> None:
    assert repr(NA) == "NA" and type(NA)() is NA
