"""Patient handouts: reading grade 8 or below in every paragraph, plain titles, and the
answers patients ask for (acupuncture, sessions, side-effect rates, nerve and scar advice)."""

from __future__ import annotations

import re

import pytest
from handout_sections import grade, paragraphs

from filiform.core.concepts import Technique
from filiform.core.planning.handout import ClinicDetails, handout_content, plain_title, render_handout
from filiform.core.planning.loader import load_conditions, load_techniques

CONDITIONS = sorted(load_conditions())
CLINIC = ClinicDetails(name="Harbour Physio", phone="01234 567890", address="1 Quay Street")
JARGON = ("myofascial", "origin", "tendinopathy", "radiculopathy", "syndrome", "disorder", "spasticity")


def _variants(cid: str) -> list[str]:
    cond = load_conditions()[cid]
    every = [t.value for t in cond.techniques]
    return [
        render_handout(cid),
        render_handout(cid, every, near_chest=True, anticoagulated=True, clinic=CLINIC),
    ]


@pytest.mark.parametrize("cid", CONDITIONS)
def test_every_paragraph_reads_at_grade_8_or_below(cid: str) -> None:
    for text in _variants(cid):
        for heading, prose in paragraphs(text):
            assert grade(prose) <= 8.0, f"{cid} / {heading}: grade {grade(prose):.1f}: {prose[:120]}"


def test_the_grade_check_can_fail() -> None:
    """A clinical sentence of the kind the handouts used to carry is far above grade 8."""
    hard = (
        "For tennis elbow, dry needling may reduce pain and improve function over the following weeks; "
        "the quality of the evidence is low to moderate and long-term benefit is not established."
    )
    assert grade(hard) > 12


@pytest.mark.parametrize("tid", sorted(load_techniques()))
def test_technique_explanations_are_plain(tid: str) -> None:
    assert grade(load_techniques()[tid].patient_explanation) <= 8.0


@pytest.mark.parametrize("cid", CONDITIONS)
def test_titles_are_plain_words(cid: str) -> None:
    assert cid in handout_content()["titles"], f"no plain title for {cid}"
    title = plain_title(cid).lower()
    outside_brackets = re.sub(r"\(.*?\)", "", title)
    assert not any(word in outside_brackets for word in JARGON), title
    assert render_handout(cid).splitlines()[0] == f"# Dry needling for {plain_title(cid)}"


@pytest.mark.parametrize("cid", CONDITIONS)
def test_answers_every_handout_gives(cid: str) -> None:
    text = render_handout(cid)
    cond = load_conditions()[cid]
    assert "## Is this acupuncture?" in text and "not into\nacupuncture points" not in text
    assert "## How many sessions?" in text
    assert f"had {int(cond.dosing.sessions.min)} to {int(cond.dosing.sessions.max)} sessions" in text
    # side-effect rates from the large prospective survey (Brady 2014: 7,629 treatments)
    assert "7,629 treatments" in text and "1 in 5" in text and "8 in 100" in text and "5 in 100" in text
    assert "4 in 10,000" in text
    # no over-promising: a flare is described without promising improvement after it
    assert "before they improve" not in text and "will improve" not in text.lower()


def test_side_effect_figures_are_cited() -> None:
    assert handout_content()["side_effects_citations"] == ["brady2014_adverse"]


@pytest.mark.parametrize(
    "cid", [c for c in CONDITIONS if set(load_conditions()[c].techniques) & {Technique.PERINEURAL}]
)
def test_perineural_handouts_warn_about_numbness_and_weakness(cid: str) -> None:
    text = render_handout(cid, [Technique.PERINEURAL])
    assert "numb or tingly for a few hours" in text
    assert "weakness is urgent" in text.lower() and "foot that drags or drops" in text


def test_handouts_without_nerve_needling_leave_the_nerve_warning_out() -> None:
    assert "numb or tingly for a few hours" not in render_handout("plantar_heel_pain", [Technique.TRIGGER_POINT])


def test_scar_handout_gives_keloid_advice_and_no_cosmetic_promise() -> None:
    text = render_handout("scar_post_surgical_hypertrophic")
    assert "keloid" in text.lower()
    assert "Will needling make my scar look better?" in text and "We do not know" in text
    assert "keloid" not in render_handout("plantar_heel_pain").lower()


def test_tendon_handouts_answer_the_healing_question_honestly() -> None:
    text = render_handout("lateral_elbow_tendinopathy", [Technique.TENDON_FENESTRATION])
    assert "Will needling heal my tendon or ligament?" in text
    assert "does not mend a torn or worn ligament" in text


def test_clinic_details_fill_the_contact_line() -> None:
    text = render_handout("plantar_heel_pain", clinic=CLINIC)
    assert "Call Harbour Physio (1 Quay Street) on 01234 567890 if:" in text
    assert "Contact the clinic that treated you" not in text


def test_without_a_number_the_handout_never_says_call_the_clinic() -> None:
    for clinic in (None, ClinicDetails(name="Harbour Physio")):
        text = render_handout("plantar_heel_pain", clinic=clinic)
        assert "call the clinic" not in text.lower()
        assert "Contact the clinic that treated you if:" in text
