"""Pure rules of the portal: clinic time, signatures, the schedule, the consent's figures
(checked against the published abstracts' percentages, not recomputed from the code),
delayed-reaction advice, and which instruments may reach patients in which language."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filiform.core.concepts.clock import (
    FixedClock,
    check_zone,
    day_bounds,
    is_ambiguous,
    local_date,
    parse_local,
    to_local,
    to_utc,
    utc,
)
from filiform.core.kb.loader import load_kb
from filiform.core.outcomes.wording import _check, home_instruments, wording
from filiform.core.portal import aftercare
from filiform.core.portal.consent_text import RISKS, SOURCES, document
from filiform.core.portal.schedule import due_occasions
from filiform.core.portal.signature import check_strokes, svg
from filiform.errors import KnowledgeBaseError, ValidationFailed


@pytest.mark.parametrize("name", ["CET+1", "EST5EDT ", "", "../etc/passwd", "Mars/Olympus", "localtime"])
def test_only_iana_zone_names_are_accepted(name: str) -> None:
    with pytest.raises(ValidationFailed):
        check_zone(name)


def test_clock_changes_are_handled_strictly() -> None:
    with pytest.raises(ValidationFailed, match="does not exist"):
        to_utc(datetime(2026, 3, 29, 1, 30), "Europe/Dublin")  # skipped hour
    autumn = datetime(2026, 10, 25, 1, 30)
    assert is_ambiguous(autumn, "Europe/Dublin")
    assert to_utc(autumn, "Europe/Dublin") == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first 01:30
    start, end = day_bounds(date(2026, 3, 29), "Europe/Dublin")
    assert end - start == timedelta(hours=23)
    assert parse_local("2026-07-01", "09:00", "America/New_York") == datetime(2026, 7, 1, 13, tzinfo=UTC)
    assert local_date(datetime(2026, 1, 1, 23, 30, tzinfo=UTC), "Asia/Tokyo") == date(2026, 1, 2)
    assert utc(datetime(2026, 1, 1, 12)) == datetime(2026, 1, 1, 12, tzinfo=UTC)  # SQLite's naive read-back is UTC


@settings(max_examples=200, derandomize=True)
@given(
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31)),
    st.sampled_from(["Europe/Dublin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]),
)
def test_a_stored_instant_comes_back_as_the_same_wall_time(moment: datetime, tz: str) -> None:
    instant = moment.replace(tzinfo=UTC)
    local = to_local(instant, tz).replace(tzinfo=None)
    again = to_utc(local, tz)
    assert again == instant or is_ambiguous(local, tz)  # the repeated hour reads as its first occurrence


def test_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    clock.advance(timedelta(days=7))
    assert clock.now() == datetime(2026, 1, 8, tzinfo=UTC)


def test_a_signature_needs_ink_inside_the_pad() -> None:
    good = check_strokes([[[10, 10], [200, 80]], [[220, 90], [260, 95]]])
    assert good[0] == [[10.0, 10.0], [200.0, 80.0]] and svg(good).startswith("<svg")
    for bad in (
        None,
        [],
        [[[5, 5]]],
        [[[5, 5], [6, 6]]],
        [[[0, 0], [700, 10]]],
        [[["a", 1], [2, 3]]],
        [[[1, True], [90, 9]]],
    ):
        with pytest.raises(ValidationFailed):
            check_strokes(bad)


def test_occasions_are_due_once_by_date_and_by_session_count() -> None:
    due = due_occasions(
        due_dates=[date(2026, 3, 9), date(2026, 4, 1)],
        every_n_sessions=3,
        sessions_done=7,
        served=["session:3"],
        today=date(2026, 3, 9),
    )
    assert due == ["date:2026-03-09", "session:6"]
    assert due_occasions(due_dates=[], every_n_sessions=None, sessions_done=9, served=[], today=date(2026, 1, 1)) == []


# The abstracts' own percentages (Brady 2014; Boyce 2020): the consent's "1 in N" must round from these.
PUBLISHED = {
    "Bleeding where a needle went in": (4.65, 16.0),
    "A bruise": (7.55, 7.7),
    "Pain while the needle is in": (3.01, 5.9),
    "Soreness after treatment": (2.19,),
    "Your usual symptoms feel worse for a while": (0.88,),
}


def _one_in(text: str) -> int:
    return int(text.split("1 in ")[1].split()[0].replace(",", ""))


@pytest.mark.parametrize("what", sorted(PUBLISHED))
def test_consent_figures_match_the_published_percentages(what: str) -> None:
    risk = next(r for r in RISKS if r.what == what)
    for (often, _source), percent in zip(risk.figures, PUBLISHED[what], strict=True):
        assert abs(_one_in(often) - 100 / percent) / (100 / percent) < 0.1, (what, often, percent)


def test_consent_sources_are_in_the_knowledge_base_and_serious_risk_is_shown() -> None:
    assert set(SOURCES) <= set(load_kb().citations)
    serious = next(r for r in RISKS if "serious" in r.what)
    assert _one_in(serious.figures[0][0]) == 1000  # Boyce 2020: 20 major events, about 1 per 1,024 treatments
    doc = document(["trigger_point_dn"], near_chest=False, gettext=lambda s: s)
    assert doc.chest is None and doc.electrical is None and len(doc.sha256) == 64
    assert document(["electrical_dn"], near_chest=True, gettext=lambda s: s).sha256 != doc.sha256
    with pytest.raises(ValueError):
        document([], near_chest=False, gettext=lambda s: s)


def test_chest_words_always_get_the_emergency_advice() -> None:
    assert aftercare.level_of("chest_or_breathing") is aftercare.Level.EMERGENCY
    assert aftercare.level_of("soreness_beyond_48h", "sore, and now short of breath") is aftercare.Level.EMERGENCY
    assert aftercare.advice_for("other", "a dry COUGH since yesterday") == aftercare.EMERGENCY_ADVICE
    assert aftercare.level_of("bruising") is aftercare.Level.ROUTINE
    with pytest.raises(ValueError):
        aftercare.level_of("made_up")


def test_instruments_reach_patients_only_where_the_licence_allows() -> None:
    assert {i.id for i in home_instruments("en")} == {"nprs"}
    assert wording("ndi", "en") is None  # wording not licensed for shipping
    assert wording("nprs", "es") is not None and wording("nprs", "de") is None
    with pytest.raises(KnowledgeBaseError, match="licence does not allow"):
        _check("xx", {"ndi": {"licence_basis": "we asked nicely", "items": {}}})
    with pytest.raises(KnowledgeBaseError, match="licence_basis"):
        _check("xx", {"nprs": {"items": {"pain": "x"}}})
