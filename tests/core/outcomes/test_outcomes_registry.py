"""The shipped instrument data: complete, cross-referenced and honest about licences."""

from __future__ import annotations

import pytest

from filiform.core.outcomes import (
    get_citation,
    get_instrument,
    list_citations,
    list_instruments,
    score,
    with_item_wording,
)
from filiform.errors import NotFound, ValidationFailed

REQUIRED = {
    "nprs",
    "psfs",
    "pgic",
    "groc",
    "ndi",
    "odi",
    "rmdq",
    "quickdash",
    "prtee",
    "lefs",
    "faam_adl",
    "faam_sports",
    "visa_a",
    "bctq_sss",
    "bctq_fss",
    "koos",
    "jfls_8",
    "hit_6",
    "posas_patient",
    "posas_observer",
    "spadi",
    "ffi",
    "pain_free_grip",
    "ppt",
    "tsk_11",
    "pcs",
    "start_back",
    "dn4",
    "mouth_opening",
}


def test_every_required_instrument_is_scorable() -> None:
    assert {i.id for i in list_instruments()} == REQUIRED


def test_unscorable_instruments_are_recorded_with_a_reason() -> None:
    every = {i.id: i for i in list_instruments(include_unscorable=True)}
    assert set(every) - REQUIRED == {"promis_pi", "womac", "fhsq"}
    assert "licensed lookup table" in (every["promis_pi"].unscorable_reason or "")
    assert every["womac"].licence.commercial_use == "licence_fee"


def test_unknown_instrument_is_not_found() -> None:
    with pytest.raises(NotFound, match="unknown instrument 'nd1'"):
        get_instrument("nd1")
    with pytest.raises(NotFound):
        score("nd1", [1])


@pytest.mark.parametrize("instrument", list_instruments(include_unscorable=True), ids=lambda i: i.id)
def test_metadata_is_complete(instrument) -> None:  # type: ignore[no-untyped-def]
    assert instrument.range_min < instrument.range_max
    assert instrument.licence.holder and instrument.licence.terms
    assert instrument.scoring.summary and instrument.scoring.missing_rule
    for threshold in (*instrument.mcid, *instrument.mdc):
        assert threshold.value > 0
        get_citation(threshold.citation)
    if instrument.scorable and instrument.kind == "score" and not instrument.mcid:
        # only instruments with no established MCID may omit it, and they must say so
        assert instrument.id in {
            "jfls_8",
            "posas_patient",
            "posas_observer",
            "spadi",
            "ffi",
            "pain_free_grip",
            "ppt",
            "pcs",
            "start_back",
            "dn4",
            "mouth_opening",
        }
        assert "MCID" in instrument.notes


@pytest.mark.parametrize("instrument", list_instruments(), ids=lambda i: i.id)
def test_wording_only_where_the_licence_allows(instrument) -> None:  # type: ignore[no-untyped-def]
    if not instrument.licence.wording_may_be_shipped:
        assert all(item.text is None for item in instrument.items), instrument.id


def test_licensed_instruments_are_flagged() -> None:
    assert get_instrument("odi").licence.commercial_use == "licence_fee"
    assert get_instrument("hit_6").licence.commercial_use == "licence_fee"
    assert get_instrument("quickdash").licence.commercial_use == "permission_required"


def test_loinc_codes_are_only_the_confirmed_ones() -> None:
    """standards.md lists these as confirmed; no other instrument carries a code."""
    confirmed = {
        "nprs": (None, "72514-3"),
        "ndi": ("82226-2", "82237-9"),
        "odi": ("97908-8", "97909-6"),
    }
    for instrument in list_instruments(include_unscorable=True):
        codes = (instrument.loinc.panel, instrument.loinc.total)
        assert codes == confirmed.get(instrument.id, (None, None)), instrument.id


def test_citations_are_identified_and_used() -> None:
    citations = list_citations()
    assert all(c.doi or c.pmid or c.url for c in citations)
    used: set[str] = set()
    for instrument in list_instruments(include_unscorable=True):
        used |= set(instrument.citations) | set(instrument.scoring.citations)
        used |= {t.citation for t in (*instrument.mcid, *instrument.mdc)}
        if instrument.transition:
            used.add(instrument.transition.citation)
        if instrument.licence.citation:
            used.add(instrument.licence.citation)
    assert {c.id for c in citations} <= used  # no orphan sources


def test_primary_mcid_per_scale() -> None:
    koos = get_instrument("koos")
    assert koos.primary_mcid("pain") is not None
    assert koos.primary_mcid("pain").value == 15  # type: ignore[union-attr]
    assert get_instrument("nprs").percent_mcid() is not None
    assert get_instrument("jfls_8").primary_mcid() is None


def test_clinic_can_add_wording_it_holds() -> None:
    ndi = get_instrument("ndi")
    worded = with_item_wording(ndi, {"s1": "Clinic's licensed wording for section 1"})
    assert worded.item("s1").text == "Clinic's licensed wording for section 1"
    assert ndi.item("s1").text is None  # the shipped definition is untouched
    with pytest.raises(ValidationFailed, match="unknown item"):
        with_item_wording(ndi, {"zz": "x"})


def test_direction_and_range_reach_the_result() -> None:
    result = score("lefs", [2] * 20)
    assert (result.range, result.higher_is_better, result.unit) == ((0, 80), True, "points")
    assert score("odi", [0] * 10).higher_is_better is False
