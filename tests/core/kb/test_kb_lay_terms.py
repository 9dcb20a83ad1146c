"""Lay terms find the right targets first; the round-two coverage targets are met."""

from __future__ import annotations

import pytest

from filiform.core.kb.loader import load_kb
from filiform.core.kb.models import Ligament, Muscle
from filiform.core.kb.search import normalise, search_targets
from filiform.core.kb.stats import kb_stats


@pytest.mark.parametrize(
    ("query", "expected_first", "not_before"),
    [
        ("tennis elbow", {"common_extensor_origin", "extensor_carpi_radialis_brevis"}, "ulnar_nerve_elbow"),
        ("golfer's elbow", {"common_flexor_origin"}, "common_extensor_origin"),
        ("Golfers elbow", {"common_flexor_origin"}, "ulnar_nerve_elbow"),
        ("heel spur", {"plantar_fascia_origin"}, "flexor_digitorum_brevis"),
        ("jaw pain", {"masseter", "lateral_pterygoid", "medial_pterygoid", "temporalis"}, "mylohyoid"),
        ("sciatica", {"piriformis", "sciatic_nerve_deep_gluteal"}, "gluteus_minimus"),
    ],
)
def test_lay_terms_rank_the_right_targets_first(query: str, expected_first: set[str], not_before: str) -> None:
    ids = [t.id for t, _ in search_targets(load_kb(), query, limit=20)]
    assert ids[0] in expected_first, ids[:5]
    if not_before in ids:
        assert ids.index(not_before) > ids.index(ids[0])


def test_a_fuzzy_match_never_outranks_a_whole_phrase() -> None:
    hits = search_targets(load_kb(), "tennis elbow", limit=20)
    phrase = [s for t, s in hits if "tennis elbow" in [normalise(x) for x in t.synonyms]]
    others = [s for t, s in hits if "tennis elbow" not in [normalise(x) for x in t.synonyms]]
    assert phrase and min(phrase) > max(others, default=0)


def test_normalise_drops_apostrophes_and_punctuation() -> None:
    assert normalise("Golfer’s  Elbow!") == "golfers elbow" == normalise("golfer's elbow")


def test_round_two_coverage() -> None:
    kb = load_kb()
    stats = kb_stats(kb)
    assert stats.muscles >= 150
    assert stats.by_kind.get("ligament", 0) >= 8
    ligaments = [t for t in kb.targets.values() if isinstance(t, Ligament)]
    assert all("No randomised trial" in lig.evidence for lig in ligaments)
    assert all(
        isinstance(kb.targets[i], Muscle) for i in ("gemellus_superior", "obturator_externus", "pronator_quadratus")
    )
