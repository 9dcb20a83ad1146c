from filiform.core.kb.loader import load_kb
from filiform.core.kb.search import search_targets
from filiform.core.kb.stats import kb_stats


def test_search_tolerates_typos_and_finds_by_name():
    hits = search_targets(load_kb(), "temporalsi")
    assert hits and hits[0][0].id == "temporalis"


def test_search_with_nothing_to_find_is_empty():
    assert search_targets(load_kb(), "   ") == []


def test_stats_add_up():
    kb = load_kb()
    s = kb_stats(kb)
    assert s.targets == len(kb.targets) == sum(s.by_kind.values()) == sum(s.by_area.values())
    assert s.trigger_points == sum(len(m.trigger_points) for m in kb.muscles.values())
