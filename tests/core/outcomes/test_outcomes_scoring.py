"""Worked examples for every scored instrument, with the source of each rule.

Where a manual or paper prints a worked example the test uses its numbers (ODI, LEFS,
RMDQ, FAAM, NDI bands); otherwise the example applies the published formula to answers
computed by hand here, and the docstring names the formula's source.
"""

from __future__ import annotations

import pytest

from filiform.core.outcomes import score
from filiform.errors import ValidationFailed


def rejects(instrument: str, answers: object, *needles: str) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        score(instrument, answers)
    text = str(caught.value)
    for needle in needles:
        assert needle in text, text
    return caught.value


# --- NPRS, PSFS, PGIC, GROC ---------------------------------------------------------------


def test_nprs_is_the_rating() -> None:
    """Farrar 2001: 0 = no pain, 10 = worst possible pain; the rating is the score."""
    result = score("nprs", [7])
    assert result.total == 7
    assert result.higher_is_better is False
    assert result.range == (0, 10)


def test_nprs_rejects_out_of_range_and_missing() -> None:
    rejects("nprs", [11], "item pain", "11 is out of range", "0–10")
    rejects("nprs", [-1], "out of range")
    rejects("nprs", [None], "every item must be answered")
    rejects("nprs", ["seven"], "'seven' is not a number")
    rejects("nprs", [6.5], "not a whole number")


def test_psfs_is_the_mean_of_rated_activities() -> None:
    """Stratford 1995: mean of the activities the patient named (here 3 of 5 slots)."""
    result = score("psfs", [3, 5, 7])
    assert result.total == 5
    assert result.items_answered == 3
    assert result.note == "mean of 3 rated activities"
    assert score("psfs", {"a1": 2, "a4": 5}).total == 3.5


def test_psfs_needs_one_activity() -> None:
    rejects("psfs", [None, None], "0 items answered", "at least 1")


def test_pgic_responder_is_much_or_very_much_improved() -> None:
    """Farrar 2001: 'much improved' and 'very much improved' (1-2 of 7) mark important change."""
    assert score("pgic", [1]).responder is True
    result = score("pgic", [2])
    assert (result.responder, result.band) == (True, "much improved")
    assert score("pgic", [3]).responder is False
    rejects("pgic", [0], "whole numbers 1–7")
    rejects("pgic", [8], "out of range")


def test_groc_responder_threshold_plus_three() -> None:
    """15-point GROC (-7..+7, Kamper 2009); +3 ('somewhat better') as used by anchor studies."""
    assert score("groc", [3]).responder is True
    assert score("groc", [2]).responder is False
    assert score("groc", [-7]).total == -7
    rejects("groc", [8], "whole numbers -7–7")


# --- NDI, ODI, RMDQ -----------------------------------------------------------------------


def test_ndi_all_answered_is_sum_times_two() -> None:
    """Vernon & Mior 1991 / Vernon's note: 10 items 0-5, sum x 2 = %. Sum 16 -> 32 %."""
    result = score("ndi", [2, 2, 1, 2, 3, 2, 1, 1, 1, 1])
    assert result.total == 32
    assert result.prorated is False
    assert result.band == "moderate (raw 15-24)"


@pytest.mark.parametrize(
    ("raw", "band"),
    [
        (4, "no disability (raw 0-4)"),
        (5, "mild (raw 5-14)"),
        (14, "mild (raw 5-14)"),
        (15, "moderate (raw 15-24)"),
        (24, "moderate (raw 15-24)"),
        (25, "severe (raw 25-34)"),
        (34, "severe (raw 25-34)"),
        (35, "complete (raw 35-50)"),
        (50, "complete (raw 35-50)"),
    ],
)
def test_ndi_bands_follow_the_raw_intervals(raw: int, band: str) -> None:
    """Vernon's note: raw 0-4 none, 5-14 mild, 15-24 moderate, 25-34 severe, >34 complete."""
    answers = [5] * (raw // 5) + ([raw % 5] if raw % 5 else [])
    answers += [0] * (10 - len(answers))
    assert sum(answers) == raw
    assert score("ndi", answers).band == band


def test_ndi_one_missing_item_takes_the_mean_of_the_others() -> None:
    """Vernon's note: the average of the answered items is added for one missing item.

    Nine answers summing 16: 16 + 16/9 = 17.78 raw -> 35.56 %.
    """
    result = score("ndi", [2, 2, 1, 2, 3, 2, 1, 1, 2, None])
    assert result.total == pytest.approx(35.5556, abs=1e-4)
    assert result.prorated is True
    assert result.items_answered == 9
    assert "1 of 10 items unanswered" in (result.note or "")


def test_ndi_two_missing_items_are_not_scored() -> None:
    rejects("ndi", [2, 2, 1, 2, 3, 2, 1, 1, None, None], "2 items unanswered", "at most 1")


def test_ndi_out_of_range_names_item_and_allowed_values() -> None:
    error = rejects("ndi", [1, 2, 0, 3, 1, 2, 1, 0, 2, 6], "1 answer(s) not accepted")
    assert error.details == ["item s10 (Recreation): 6 is out of range; allowed: whole numbers 0–5"]


def test_odi_worked_examples_from_the_scoring_sheet() -> None:
    """ODI scoring instructions (Fairbank & Pynsent 2000): 16/50 -> 32 %; one section
    missed or not applicable -> 16/45 -> 35.5 %."""
    assert score("odi", [3, 2, 2, 2, 2, 1, 1, 1, 1, 1]).total == 32
    missed = score("odi", [3, 2, 2, 2, 2, 1, 1, None, 1, 2])
    assert missed.total == pytest.approx(35.5556, abs=1e-4)
    assert missed.band == "moderate disability"
    rejects("odi", [3, 2, 2, 2, 2, 1, 1, None, None, 2], "at most 1 may be missing")


def test_odi_bands() -> None:
    """Fairbank & Pynsent 2000: 0-20 minimal, 21-40 moderate, 41-60 severe, 61-80, 81-100."""
    assert score("odi", [1] * 10).band == "minimal disability"  # 20 %
    assert score("odi", [5] * 10).band == "bed-bound (or exaggerating symptoms)"


def test_rmdq_counts_yes() -> None:
    """Roland & Morris 1983: the score is the number of statements ticked (0-24)."""
    answers = ["yes"] * 12 + ["no"] * 12
    assert score("rmdq", answers).total == 12
    assert score("rmdq", [True] * 24).total == 24
    assert score("rmdq", [0] * 24).total == 0


def test_rmdq_needs_every_statement_and_rejects_other_answers() -> None:
    """No standard prorating rule exists (Kent & Lauridsen), so a blank is an error."""
    rejects("rmdq", ["yes"] * 23 + [None], "every item must be answered", "q24")
    rejects("rmdq", ["yes"] * 23 + ["maybe"], "item q24", "yes or no")
    rejects("rmdq", ["yes"] * 23 + [2], "yes or no")


# --- QuickDASH, PRTEE, BCTQ ---------------------------------------------------------------


def test_quickdash_formula() -> None:
    """DASH scoring (IWH, 2002 method): ((sum/n) - 1) x 25. Eleven 3s -> 50."""
    assert score("quickdash", [3] * 11).total == 50
    assert score("quickdash", [1] * 11).total == 0
    assert score("quickdash", [5] * 11).total == 100
    # sum 25 over 11 items: (25/11 - 1) x 25 = 31.818...
    assert score("quickdash", [2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3]).total == pytest.approx(31.8182, abs=1e-4)


def test_quickdash_ten_of_eleven() -> None:
    """At least 10 of 11 items: one missing uses n = 10 (sum 30 -> (3 - 1) x 25 = 50)."""
    result = score("quickdash", [3] * 10 + [None])
    assert result.total == 50
    assert result.prorated is True
    rejects("quickdash", [3] * 9 + [None, None], "2 items unanswered")
    rejects("quickdash", [3] * 10 + [0], "item q11", "whole numbers 1–5")


def test_prtee_pain_plus_half_function() -> None:
    """PRTEE manual: pain = sum of 5 (0-50), function = sum of 10 / 2 (0-50), total = sum."""
    pain, specific, usual = [5, 6, 4, 7, 3], [4] * 6, [2] * 4
    answers = [*pain, *specific, *usual]
    result = score("prtee", answers)
    assert result.value("pain") == 25
    assert result.value("function") == 16  # (24 + 8) / 2
    assert result.total == 41
    assert score("prtee", [10] * 15).total == 100


def test_prtee_missing_and_range() -> None:
    rejects("prtee", [5] * 14 + [None], "every item must be answered", "f10")
    rejects("prtee", [5] * 14 + [11], "item f10", "whole numbers 0–10")


def test_bctq_scales_are_means() -> None:
    """Levine 1993 (reviewed by Leite 2006): each scale is the mean of its items (1-5)."""
    assert score("bctq_sss", [2] * 11).total == 2
    assert score("bctq_sss", [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 3]).total == 3
    assert score("bctq_fss", [1, 1, 2, 2, 3, 3, 4, 4]).total == 2.5


def test_bctq_missing_items_use_the_answered_mean() -> None:
    result = score("bctq_fss", [2, 2, 2, 4, None, None, None, None])
    assert result.total == 2.5
    assert result.prorated is True
    rejects("bctq_fss", [2, 2, 2, None, None, None, None, None], "3 items answered", "at least 4")
    rejects("bctq_sss", [2] * 10 + [6], "item q11", "1–5")


# --- LEFS, FAAM, VISA-A, KOOS -------------------------------------------------------------


def test_lefs_sum() -> None:
    """Binkley 1999: 20 items 0-4 summed to 0-80. Example: fifteen 4s and five 3s = 75."""
    assert score("lefs", [4] * 15 + [3] * 5).total == 75
    assert score("lefs", [0] * 20).total == 0
    rejects("lefs", [4] * 19 + [None], "every item must be answered")
    rejects("lefs", [4] * 19 + [5], "item a20", "0–4")


def test_faam_sports_highest_potential_score() -> None:
    """Martin 2005 scoring: all 8 answered -> out of 32; one blank or N/A -> out of 28."""
    assert score("faam_sports", [4] * 8).total == 100
    assert score("faam_sports", [3] * 8).total == 75  # 24 / 32
    one_na = score("faam_sports", [3] * 7 + ["N/A"])
    assert one_na.total == 75  # 21 / 28
    assert one_na.items_answered == 7
    assert one_na.prorated is True
    assert score("faam_sports", [4, 4, 4, 4, 4, 4, 0, None]).total == pytest.approx(85.7143, abs=1e-4)


def test_faam_adl_and_minimum_answers() -> None:
    assert score("faam_adl", [2] * 21).total == 50
    assert score("faam_adl", [4] * 11 + ["na"] * 10).total == 100
    rejects("faam_adl", [4] * 10 + ["na"] * 11, "10 items answered", "at least 11")
    rejects("faam_adl", [4] * 20 + [5], "item q21", "'na' if not applicable")


def test_visa_a_sum_with_item_8_branches() -> None:
    """Robinson 2001: q1-q6 0-10, q7 0/4/7/10, q8 one branch (A max 30, B max 20, C max 10).

    An asymptomatic athlete scores 100: 6 x 10 + 10 + A:30.
    """
    assert score("visa_a", [10] * 6 + [10, "A:30"]).total == 100
    assert score("visa_a", [5, 5, 5, 5, 5, 5, 4, "B:10"]).total == 44
    assert score("visa_a", [0] * 6 + [0, {"branch": "C", "value": 0}]).total == 0
    assert score("visa_a", {**{f"q{i}": 6 for i in range(1, 8)}, "q7": 7, "q8": "c:7"}).total == 50


def test_visa_a_rejects_values_outside_the_chosen_branch() -> None:
    rejects("visa_a", [5] * 6 + [4, "B:30"], "item q8", "30 is not allowed in branch B")
    rejects("visa_a", [5] * 6 + [4, "D:0"], "branch 'D' is unknown")
    rejects("visa_a", [5] * 6 + [4, "14"], "item q8", "branch letter")
    rejects("visa_a", [5] * 6 + [5, "A:7"], "item q7", "one of 0, 4, 7, 10")


def test_koos_subscales() -> None:
    """KOOS scoring 2012: each subscale 100 - mean x 25; no total."""
    answers = [0] * 7 + [2] * 9 + [4] * 17 + [1] * 5 + [3] * 4
    result = score("koos", answers)
    assert result.total is None
    assert {s.id: s.value for s in result.subscales} == {
        "symptoms": 100,
        "pain": 50,
        "adl": 0,
        "sport": 75,
        "qol": 25,
    }
    with pytest.raises(KeyError):
        result.value("total")


def test_koos_fifty_percent_rule() -> None:
    """KOOS 2012 rule: Pain needs 5 of 9, Symptoms 4 of 7, ADL 9 of 17, Sport 3 of 5, QOL 2 of 4."""
    pain_five = [1] * 7 + [2] * 5 + [None] * 4 + [1] * 17 + [1] * 5 + [1] * 4
    result = score("koos", pain_five)
    assert result.value("pain") == 50
    assert result.prorated is True
    pain_four = [1] * 7 + [2] * 4 + [None] * 5 + [1] * 17 + [1] * 5 + [1] * 4
    short = score("koos", pain_four)
    assert [s.id for s in short.subscales] == ["symptoms", "adl", "sport", "qol"]
    assert "Pain (4 of 9 answered, 5 needed)" in (short.note or "")
    rejects("koos", [None] * 42, "no subscale has enough answers")
    rejects("koos", [1] * 41 + [5], "item q4", "0–4")


# --- JFLS-8, HIT-6, POSAS -----------------------------------------------------------------


def test_jfls8_mean_and_two_missing() -> None:
    """DC/TMD scoring manual: global score = mean of available items; at most 2 missing."""
    assert score("jfls_8", [1, 2, 3, 4, 5, 6, 7, 8]).total == 4.5
    result = score("jfls_8", [2, 2, 2, 2, 2, 8, None, None])
    assert result.total == 3  # 18 / 6
    assert result.prorated is True
    rejects("jfls_8", [2] * 5 + [None] * 3, "3 items unanswered", "at most 2")


def test_hit6_weights_and_bands() -> None:
    """Kosinski 2003 / NINDS CDE: never 6, rarely 8, sometimes 10, very often 11, always 13;
    36-78; bands <=49 little or no, 50-55 some, 56-59 substantial, >=60 severe impact."""
    assert score("hit_6", ["never"] * 6).total == 36
    assert score("hit_6", ["always"] * 6).total == 78
    result = score("hit_6", [10, 10, 10, 10, 8, 8])
    assert (result.total, result.band) == (56, "substantial impact")
    assert score("hit_6", ["rarely"] * 6).band == "little or no impact"  # 48
    assert score("hit_6", ["sometimes"] + ["rarely"] * 5).band == "some impact"  # 50
    assert score("hit_6", ["very often"] * 5 + ["always"]).total == 68


def test_hit6_rejects_unweighted_values() -> None:
    rejects("hit_6", [6, 8, 10, 11, 13, 9], "item q6", "one of 6, 8, 10, 11, 13")
    rejects("hit_6", [6, 8, 10, 11, 13, 3], "not an allowed value")
    rejects("hit_6", [6, 8, 10, 11, 13, None], "every item must be answered")


def test_posas_sums_six_items_and_keeps_overall_opinion_apart() -> None:
    """Draaijers 2004 (POSAS 2.0): six items 1-10 summed; the overall opinion is separate."""
    result = score("posas_observer", [2, 3, 4, 5, 6, 7, 9])
    assert result.total == 27
    assert result.value("overall_opinion") == 9
    assert score("posas_patient", [1] * 6 + [None]).total == 6
    rejects("posas_patient", [0, 1, 1, 1, 1, 1, None], "item pain", "1–10")
    rejects("posas_patient", [1] * 5 + [None, 5], "every item must be answered")


# --- answer formats -----------------------------------------------------------------------


def test_wrong_number_of_answers_and_unknown_items() -> None:
    rejects("ndi", [1] * 9, "9 answers given", "10 items")
    rejects("ndi", [1] * 11, "11 answers given")
    rejects("ndi", {"s1": 1, "x9": 2}, "unknown item id(s) x9")
    rejects("ndi", "1,2,3", "must be a list")


def test_strings_from_forms_are_accepted() -> None:
    assert score("ndi", ["1", "2", "0", "3", "1", "2", "1", "0", "2", "1"]).total == 26
    assert score("ndi", ["1", "2", "0", "3", "1", "2", "1", "", "2", "1"]).items_answered == 9
    rejects("nprs", [True], "True is not a number")
    rejects("lefs", [4] * 19 + ["na"], "'not applicable' is not allowed")


def test_unscorable_instruments_say_why() -> None:
    rejects("promis_pi", [1, 2, 3, 4], "not scored by Filiform", "licensed lookup table")
    rejects("womac", [1] * 24, "not scored by Filiform", "proprietary")
