"""The case files run in the suite; recall must not fall below the documented level."""

import pytest

from filiform.core.atlas.build import load_atlas
from filiform.core.matching import default_engine
from filiform.core.matching.evaluation import CaseFile, evaluate, load_cases, wilson
from filiform.errors import KnowledgeBaseError, ValidationFailed


def test_the_legacy_file_keeps_its_58_cited_cases_on_real_regions():
    cases = load_cases(which="legacy").cases
    assert len(cases) == 58
    atlas, kb = load_atlas(), default_engine().kb
    for case in cases:
        assert set(case.regions) <= set(atlas.regions), case.id
        assert case.source in kb.citations, case.id
    assert len({c.id for c in cases}) == len(cases)


def test_the_legacy_set_does_not_fall():
    """Atlas 1 gave top-1 48/58 and top-3 58/58 on this set with 120 muscles; with the 150
    muscles of the merged base (new near-identical patterns: pronator quadratus, dorsal
    interossei of the hand, flexor pollicis brevis...) top-1 is 45/58 and top-3 stays 58/58
    (docs/matching.md). Tendons, ligaments and periarticular sites scored by pain over
    themselves then put the structure first in three cases drawn on a muscle's own cells
    (rectus femoris / suprapatellar knee, vastus lateralis / iliotibial band region,
    quadratus plantae / plantar fascia origin): 42/58. This guards today's level against
    regressions only: the set is partly drawn on the base's own zones, so it is no measure
    of recall (see the held-out test)."""
    report = evaluate(default_engine(), load_cases(which="legacy"))
    assert report.recall(1) <= report.recall(3) <= report.recall(5)
    assert report.hits(1) >= 42, [(o.case.id, o.rank, o.top) for o in report.misses(1)]
    assert report.hits(3) == 58, [(o.case.id, o.rank, o.top) for o in report.misses(3)]


def test_recall_on_published_cases_held_out_from_the_base():
    """The recall guard on cases the base was not written from: published cases whose
    source the knowledge base does not cite (Kwon 2017, Kim 2009 and Leffler 2000 changed
    the base's referral zones, so their 7 cases are left out; Guner 2023, a seventh-round
    source, is cited by the base only as needling evidence for a condition, but is left out
    by the same rule, so 8). Today: 115 of the 123 published cases, top-1 37, top-3 56,
    top-5 67 (111 of 118 before the seventh round: 35, 54, 65).
    The legacy set above is drawn partly on the base's own zone cells and guards only
    against regressions between versions; this one is the recall the matcher is held to."""
    engine = default_engine()
    published = load_cases(which="published")
    cited = [c.id for c in published.cases if c.source in engine.kb.citations]
    assert len(cited) == 8, cited
    held = CaseFile(
        cases=tuple(c for c in published.cases if c.source not in engine.kb.citations),
        sources=published.sources,
        excluded=published.excluded,
    )
    report = evaluate(engine, held)
    assert len(report.outcomes) == 115
    assert report.hits(1) >= 37, [(o.case.id, o.rank, o.top) for o in report.misses(1)]
    assert report.hits(3) >= 56, [(o.case.id, o.rank, o.top) for o in report.misses(3)]
    assert report.hits(5) >= 67, [(o.case.id, o.rank, o.top) for o in report.misses(5)]


@pytest.mark.parametrize(
    "hits, n, low, high",
    [(0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0), (50, 100, 0.4038, 0.5962), (1, 1, 0.2065, 1.0)],
)
def test_wilson_intervals_match_the_closed_form(hits, n, low, high):
    lo, hi = wilson(hits, n)
    assert lo == pytest.approx(low, abs=1e-4)
    assert hi == pytest.approx(high, abs=1e-4)


def test_a_case_expecting_an_unknown_muscle_is_a_data_error_not_a_miss():
    text = "cases:\n  - {id: x, regions: [right-temple-middle], expected: [no_such_muscle], source: donnelly2019}\n"
    with pytest.raises(KnowledgeBaseError, match="no_such_muscle"):
        evaluate(default_engine(), load_cases(text))


def test_a_case_drawing_an_unknown_region_is_a_data_error_not_a_miss():
    text = (
        "cases:\n  - {id: x, regions: [right-temple-middle, right-no-such-place], expected: [temporalis], "
        "source: donnelly2019}\n"
    )
    with pytest.raises(ValidationFailed, match="invalid pain drawing") as exc:
        evaluate(default_engine(), load_cases(text))
    assert any("right-no-such-place" in d for d in exc.value.details)


def test_a_case_citing_an_unlisted_source_is_a_data_error():
    text = "cases:\n  - {id: x, regions: [right-temple-middle], expected: [temporalis], source: nobody2099}\n"
    with pytest.raises(KnowledgeBaseError, match="nobody2099"):
        evaluate(default_engine(), load_cases(text))


def test_a_miss_is_reported_with_its_rank():
    text = (
        "cases:\n  - {id: x, regions: [right-temple-middle, right-upper-teeth-front], expected: [soleus], "
        "source: donnelly2019}\n"
    )
    report = evaluate(default_engine(), load_cases(text))
    assert report.recall(5) == 0.0
    assert report.misses(3)[0].case.id == "x"


def test_the_published_file_draws_only_real_regions_and_cites_a_source_of_known_kind():
    cases = load_cases(which="published")
    atlas, kb = load_atlas(), default_engine().kb
    assert len(cases.cases) >= 123
    assert len({c.id for c in cases.cases}) == len(cases.cases)
    for case in cases.cases:
        assert set(case.regions) <= set(atlas.regions), case.id
        assert set(case.expected) <= set(kb.targets), case.id
        source = cases.sources[case.source]
        assert source.kind in {"experimental", "clinical", "case_report", "textbook"}, case.id
        assert source.doi or source.pmid or source.isbn or source.url, case.source
    assert cases.excluded, "sources read but not written as cases are listed with a reason"
    assert all(e.reason for e in cases.excluded)


def test_the_published_set_is_reported_per_kind_of_source():
    text = (
        "sources:\n"
        "  a: {authors: A, year: 2000, title: t, journal: j, doi: 10.1/x, kind: experimental}\n"
        "  b: {authors: B, year: 2001, title: t, journal: j, isbn: '068308366X', kind: textbook}\n"
        "cases:\n"
        "  - {id: hit, regions: [right-temple-middle, right-upper-teeth-front, right-eyebrow-lateral],"
        " expected: [temporalis], source: a}\n"
        "  - {id: miss, regions: [right-temple-middle], expected: [soleus], source: b}\n"
    )
    report = evaluate(default_engine(), load_cases(text))
    kinds = report.by_kind()
    assert set(kinds) == {"experimental", "textbook"}
    assert (kinds["experimental"].hits(3), len(kinds["experimental"].outcomes)) == (1, 1)
    assert (kinds["textbook"].hits(5), len(kinds["textbook"].outcomes)) == (0, 1)


def test_a_source_of_unknown_kind_is_rejected():
    text = (
        "sources:\n  a: {authors: A, year: 2000, title: t, journal: j, kind: rumour}\n"
        "cases:\n  - {id: x, regions: [right-temple-middle], expected: [temporalis], source: a}\n"
    )
    with pytest.raises(KnowledgeBaseError, match=r"eval/published_cases.yaml:2: sources\.a\.kind"):
        load_cases(text)  # located to file and line by the one YAML loader
