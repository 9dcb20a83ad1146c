"""The whole scored result, not only the total: how many items counted, whether the score was
prorated, the note that says how, the subscales reported beside the total, and the exact
refusal when too much is missing. Each expected figure is worked out here by hand from the
instrument's published rule (named in each test); the rule texts quoted are those the
registry holds for the instrument.
"""

from __future__ import annotations

import pytest

from filiform.core.outcomes import score
from filiform.core.outcomes.models import SubscaleScore
from filiform.core.outcomes.registry import get_instrument
from filiform.errors import ValidationFailed


def refused(instrument: str, answers: object) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        score(instrument, answers)
    return caught.value


def rule_of(instrument: str) -> str:
    return get_instrument(instrument).scoring.missing_rule


def test_a_single_rating_counts_one_item_of_one() -> None:
    result = score("nprs", [7])
    assert (result.total, result.items_answered, result.items_total, result.prorated, result.note) == (
        7, 1, 1, False, None)  # fmt: skip
    error = refused("nprs", [None])
    assert error.message == "NPRS: every item must be answered; missing pain"
    assert error.details == ["A single-item scale; no answer means no score."]


@pytest.mark.parametrize(("answer", "responder", "anchor"), [(1, True, "very much improved"),
    (2, True, "much improved"), (3, False, "minimally improved"), (7, False, "very much worse")])  # fmt: skip
def test_pgic_responder_is_much_or_very_much_improved(answer: int, responder: bool, anchor: str) -> None:
    """Farrar 2001: 'much improved' (2) or better on the 7-point PGIC."""
    result = score("pgic", [answer])
    assert (result.total, result.responder, result.band) == (answer, responder, anchor)
    assert (result.items_answered, result.items_total) == (1, 1)


def test_psfs_is_the_mean_of_the_activities_named() -> None:
    """Stratford 1995: each named activity rated 0-10; the score is their mean."""
    one = score("psfs", [4, None, None, None, None])
    assert (one.total, one.items_answered, one.items_total, one.note) == (4, 1, 1, "mean of 1 rated activity")
    three = score("psfs", [4, 6, 8, None, None])  # (4 + 6 + 8) / 3 = 6
    assert (three.total, three.items_answered, three.items_total) == (6, 3, 3)
    assert three.note == "mean of 3 rated activities" and three.prorated is False
    error = refused("psfs", [None] * 5)
    assert error.message == "PSFS: 0 items answered; at least 1 are needed"
    assert error.details == [rule_of("psfs")]


def test_jfls_8_with_two_missing_is_the_mean_of_six() -> None:
    """DC/TMD manual: up to 2 of 8 missing; sum / items answered. (1+2+3+4+5+6) / 6 = 3.5."""
    result = score("jfls_8", [1, 2, 3, 4, 5, 6, None, None])
    assert (result.total, result.items_answered, result.items_total, result.prorated) == (3.5, 6, 8, True)
    assert result.note == "2 of 8 items unanswered; scored from the 6 answered items. " + rule_of("jfls_8")
    whole = score("jfls_8", [1, 2, 3, 4, 5, 6, 7, 8])  # 36 / 8 = 4.5
    assert (whole.total, whole.items_answered, whole.items_total, whole.prorated, whole.note) == (
        4.5, 8, 8, False, None)  # fmt: skip
    error = refused("jfls_8", [1, 2, 3, 4, 5, None, None, None])
    assert error.message == "JFLS-8: 3 items unanswered (q6, q7, q8); at most 2 may be missing"
    assert error.details == [rule_of("jfls_8")]


def test_quickdash_with_one_missing_uses_n_answered() -> None:
    """QuickDASH manual: ((sum / n) - 1) x 25 with n answered, at least 10 of 11.
    Ten answers of 3: (30 / 10 - 1) x 25 = 50."""
    result = score("quickdash", [3] * 10 + [None])
    assert (result.total, result.items_answered, result.items_total, result.prorated) == (50, 10, 11, True)
    assert result.note == "1 of 11 items unanswered; scored from the 10 answered items. " + rule_of("quickdash")
    whole = score("quickdash", [2] * 11)  # (22 / 11 - 1) x 25 = 25
    assert (whole.total, whole.note, whole.prorated) == (25, None, False)


def test_ndi_with_one_missing_section() -> None:
    """Vernon: one unanswered section, sum / (5 x answered) x 100. Nine sections of 2:
    18 / 45 x 100 = 40 %."""
    result = score("ndi", [2] * 9 + [None])
    assert (result.total, result.items_answered, result.items_total, result.prorated) == (40, 9, 10, True)
    assert result.note == "1 of 10 items unanswered; scored from the 9 answered items. " + rule_of("ndi")
    assert score("ndi", [2] * 10).note is None


def test_prtee_subscales_and_total() -> None:
    """MacDermid 2007: pain = sum of 5 items (0-50); function = sum of 10 items / 2 (0-50);
    total = pain + function. Pain 1+2+3+4+5 = 15; function 15 x 1 = 15 -> 7.5 (kept to the half)."""
    result = score("prtee", [1, 2, 3, 4, 5] + [1] * 5 + [2] * 5)  # function: (5 + 10) / 2 = 7.5
    assert result.subscales == (
        SubscaleScore(id="pain", name="Pain", value=15, min=0, max=50, items_answered=5, items_total=5),
        SubscaleScore(id="function", name="Function", value=7.5, min=0, max=50, items_answered=10, items_total=10),
    )
    assert (result.total, result.items_answered, result.items_total) == (22.5, 15, 15)


def test_posas_overall_opinion_is_reported_beside_the_total_never_in_it() -> None:
    """POSAS patient scale: six scored items summed (6-60); the overall opinion (1-10) apart."""
    result = score("posas_patient", [2, 3, 4, 5, 6, 7, 8])
    assert result.total == 27  # 2+3+4+5+6+7
    assert result.subscales == (
        SubscaleScore(id="overall_opinion", name="Overall opinion (not part of the total)", value=8, min=1, max=10,
                      items_answered=1, items_total=1),
    )  # fmt: skip
    assert score("posas_patient", [2, 3, 4, 5, 6, 7, None]).subscales == ()


def test_koos_counts_every_answer_and_says_which_subscales_were_partial_or_skipped() -> None:
    """KOOS 2012 rule: a subscale needs half its items (Symptoms 4 of 7, Pain 5 of 9 ...);
    each subscale is 100 - mean x 25. Symptoms 3 of 7 answered: not scored. Pain 8 of 9
    answered, all 1: 100 - 25 = 75. The rest complete, all 2: 50."""
    answers = [1, 1, 1, None, None, None, None] + [1] * 8 + [None] + [2] * 17 + [2] * 5 + [2] * 4
    result = score("koos", answers)
    assert [(s.id, s.value, s.items_answered, s.items_total) for s in result.subscales] == [
        ("pain", 75, 8, 9), ("adl", 50, 17, 17), ("sport", 50, 5, 5), ("qol", 50, 4, 4)]  # fmt: skip
    assert (result.total, result.items_answered, result.items_total, result.prorated) == (None, 37, 42, True)
    assert result.note == (
        "not scored (too many missing): Symptoms (3 of 7 answered, 4 needed). scored from the answered items: Pain"
    )
    whole = score("koos", [0] * 42)
    assert (whole.items_answered, whole.note, whole.prorated) == (42, None, False)
    assert [s.value for s in whole.subscales] == [100] * 5


def test_koos_with_no_subscale_scorable_is_refused_with_each_reason() -> None:
    error = refused("koos", [1] + [None] * 41)
    assert error.message == "KOOS: no subscale has enough answers to be scored"
    assert error.details == [
        "Symptoms (1 of 7 answered, 4 needed)",
        "Pain (0 of 9 answered, 5 needed)",
        "Function in daily living (0 of 17 answered, 9 needed)",
        "Function in sport and recreation (0 of 5 answered, 3 needed)",
        "Knee-related quality of life (0 of 4 answered, 2 needed)",
        rule_of("koos"),
    ]


def test_every_missing_item_is_named() -> None:
    error = refused("prtee", [None, None] + [1] * 13)
    assert error.message == "PRTEE: every item must be answered; missing p1, p2"


def test_koos_subscales_keep_four_decimals_and_every_partial_or_skipped_one_is_named() -> None:
    """Pain all 9 answered, eight 1s and one 2: mean 10/9, 100 - 250/9 = 72.2222.
    Symptoms 3 of 7 and QOL 1 of 4: skipped. ADL 16 of 17 and Sport 4 of 5: partial, all 0 -> 100."""
    answers = (
        [1, 1, 1, None, None, None, None] + [1] * 8 + [2] + [0] * 16 + [None] + [0] * 4 + [None] + [1, None, None, None]
    )
    result = score("koos", answers)
    assert [(s.id, s.value) for s in result.subscales] == [("pain", 72.2222), ("adl", 100), ("sport", 100)]
    assert result.note == (
        "not scored (too many missing): Symptoms (3 of 7 answered, 4 needed); "
        "Knee-related quality of life (1 of 4 answered, 2 needed). "
        "scored from the answered items: Function in daily living, Function in sport and recreation"
    )
