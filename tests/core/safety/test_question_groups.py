"""The grouped questionnaire covers every question exactly once, in the questionnaire's order."""

from __future__ import annotations

from filiform.core.safety.questions import CLEAR_ANSWERS, FOLLOW_UPS, NUMBERS, QUESTION_GROUPS, QUESTIONS


def test_every_question_is_in_exactly_one_group() -> None:
    grouped = [name for _title, names in QUESTION_GROUPS for name in names]
    assert sorted(grouped) == sorted(QUESTIONS)
    assert len(grouped) == len(set(grouped))


def test_follow_ups_sit_in_their_parents_group() -> None:
    where = {name: title for title, names in QUESTION_GROUPS for name in names}
    for follow_up, (parent, _value) in FOLLOW_UPS.items():
        assert where[follow_up] == where[parent], follow_up


def test_each_group_has_a_clear_answer_to_tick() -> None:
    for title, names in QUESTION_GROUPS:
        assert any(n in CLEAR_ANSWERS and n not in NUMBERS for n in names), title
