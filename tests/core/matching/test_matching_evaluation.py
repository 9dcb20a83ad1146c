"""The published case file runs in the suite; recall must stay at the documented level."""

import pytest

from filiform.core.atlas.build import load_atlas
from filiform.core.matching import default_engine
from filiform.core.matching.evaluation import evaluate, load_cases
from filiform.errors import KnowledgeBaseError


def test_the_case_file_has_forty_cited_cases_on_real_regions():
    cases = load_cases().cases
    assert len(cases) >= 40
    atlas, kb = load_atlas(), default_engine().kb
    for case in cases:
        assert set(case.regions) <= set(atlas.regions), case.id
        assert case.source in kb.citations, case.id
    assert len({c.id for c in cases}) == len(cases)


def test_top3_recall_meets_the_documented_target():
    report = evaluate(default_engine(), load_cases())
    assert report.recall(1) <= report.recall(3) <= report.recall(5)
    assert report.recall(3) >= 0.9, [(o.case.id, o.rank, o.top) for o in report.misses(3)]


def test_a_case_expecting_an_unknown_muscle_is_a_data_error_not_a_miss():
    text = "cases:\n  - {id: x, regions: [right-temple], expected: [no_such_muscle], source: donnelly2019}\n"
    with pytest.raises(KnowledgeBaseError, match="no_such_muscle"):
        evaluate(default_engine(), load_cases(text))


def test_a_miss_is_reported_with_its_rank():
    text = "cases:\n  - {id: x, regions: [right-temple, right-upper-teeth], expected: [soleus], source: donnelly2019}\n"
    report = evaluate(default_engine(), load_cases(text))
    assert report.recall(5) == 0.0
    assert report.misses(3)[0].case.id == "x"
