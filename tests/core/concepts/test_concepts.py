"""The shared concepts: one validator each, and every user of a concept uses that one."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from filiform.core.atlas.build import load_atlas
from filiform.core.concepts import (
    INSERTION_FIELDS,
    DrawnRegion,
    ElectricalCircuit,
    Finding,
    FindingKind,
    Insertion,
    NeedlingSession,
    circuit_sites,
    validate_regions,
)
from filiform.core.concepts.circuit import circuit_problems
from filiform.core.concepts.drawing import read_regions, stored_regions
from filiform.core.kb.citations import defined_in, load_citations
from filiform.core.matching.engine import FINDING_WEIGHTS
from filiform.errors import ValidationFailed
from filiform.storage.models import InsertionRecord

ATLAS = sorted(load_atlas().regions)
regions = st.lists(
    st.tuples(st.sampled_from(ATLAS), st.integers(min_value=0, max_value=10)),
    min_size=1,
    max_size=12,
    unique_by=lambda t: t[0],
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(regions)
def test_a_drawing_keeps_the_painted_regions_in_order_and_round_trips(items: list[tuple[str, int]]) -> None:
    raw = [
        {"region": r, "intensity": i, "kind": "burning"} if i % 3 == 0 else {"region": r, "intensity": i}
        for r, i in items
    ]
    painted = [(r, i) for r, i in items if i > 0]
    if not painted:
        with pytest.raises(ValidationFailed, match="empty"):
            validate_regions(raw, ATLAS)
        assert validate_regions(raw, ATLAS, allow_empty=True) == ()
        return
    valid = validate_regions(raw, ATLAS)
    assert [(r.region, r.intensity) for r in valid] == painted
    assert read_regions(stored_regions(valid)) == valid  # a stored drawing reads back as written
    assert validate_regions(stored_regions(valid), ATLAS) == valid  # and validates again unchanged


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ({"region": "right-temple-middle", "intensity": 5.5}, "intensity: must be a whole number"),
        ({"region": "right-temple-middle", "intensity": 11}, "intensity: must be 10 or less"),
        ({"region": "right-temple-middle", "intensity": float("nan")}, "intensity: must be a whole number"),
        ({"region": "right-temple-middle", "intensity": True}, "intensity: must be a whole number"),
        ({"region": "right-nowhere", "intensity": 3}, "unknown region"),
        ({"region": "right-temple-middle", "intensity": 3, "kind": "banana"}, "kind"),
        ({"region": "right-temple-middle", "intensity": 3, "depth": "inside"}, "depth"),
        ({"region": "right-temple-middle", "intensity": 3, "coverage": float("inf")}, "coverage"),
        ({"region": "right-temple-middle", "intensity": 3, "quality": "ache"}, "quality: is not a field"),
        ({"region": "right-temple-middle"}, "intensity: is required"),
    ],
)
def test_the_one_region_validator_refuses_each_bad_value(item: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationFailed) as exc:
        validate_regions([item], ATLAS)
    assert problem in str(exc.value)


def test_a_region_drawn_twice_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="drawn twice"):
        validate_regions(
            [{"region": "right-temple-middle", "intensity": 3}, {"region": "right-temple-middle", "intensity": 0}],
            ATLAS,
        )


def test_one_list_of_finding_kinds_for_the_model_the_matcher_and_the_pages() -> None:
    flags = {name for name, field in Finding.model_fields.items() if field.annotation is bool}
    assert flags == {k.value for k in FindingKind} == set(FINDING_WEIGHTS)


def test_the_insertion_fields_are_the_stored_columns() -> None:
    stored = {c.name for c in InsertionRecord.__table__.columns} - {"id", "session_id", "seq"}
    assert set(INSERTION_FIELDS) == stored


def needle(target: str, technique: str = "electrical_dn") -> Insertion:
    return Insertion.parse(
        {"target_id": target, "side": "left", "technique": technique, "needle_length_mm": 50,
         "needle_gauge_mm": 0.3, "depth_mm": 30}
    )  # fmt: skip


def circuit(a: int, b: int, **settings: float) -> ElectricalCircuit:
    values = {"frequency_hz": 2, "pulse_width_us": 250, "intensity_ma": 4, "duration_s": 600, **settings}
    return ElectricalCircuit.parse({"lead_a": a, "lead_b": b, **values})


def test_a_circuit_is_two_sites_for_the_safety_rules() -> None:
    needles = [needle("gluteus_medius"), needle("piriformis"), needle("quadratus_lumborum"), needle("gluteus_minimus")]
    sites = circuit_sites([circuit(1, 2), circuit(4, 3)], needles)
    assert [(s.label, s.a.target_id, s.b.target_id) for s in sites] == [
        ("circuit 1", "gluteus_medius", "piriformis"),
        ("circuit 2", "gluteus_minimus", "quadratus_lumborum"),
    ]


def test_circuits_must_fit_the_needles() -> None:
    needles = [needle("gluteus_medius"), needle("piriformis"), needle("piriformis", "trigger_point_dn")]
    assert circuit_problems([circuit(1, 2)], needles) == []
    assert circuit_problems([circuit(1, 3)], needles) == [
        "circuit 1: needle 3 carries no current (trigger_point_dn)",
        "needle 2 is electrical_dn but on no circuit: give its lead pair",
    ]
    assert "there is no needle 9" in circuit_problems([circuit(1, 9)], needles)[0]
    assert "already on circuit 1" in " ".join(circuit_problems([circuit(1, 2), circuit(2, 1)], needles))
    with pytest.raises(ValidationFailed, match="on no circuit"):
        NeedlingSession.parse(
            {"started_at": "2026-01-05T10:00:00+00:00", "insertions": [n.model_dump() for n in needles[:2]]}
        )


@pytest.mark.parametrize(
    "bad",
    [
        {"frequency_hz": float("inf")},
        {"frequency_hz": float("nan")},
        {"frequency_hz": 0.1},
        {"frequency_hz": 400},
        {"pulse_width_us": 5},
        {"intensity_ma": 0},
        {"intensity_ma": 150},
        {"duration_s": 0},
        {"duration_s": 7200},
    ],
)
def test_circuit_settings_are_finite_and_within_the_recording_bounds(bad: dict[str, float]) -> None:
    with pytest.raises(ValidationFailed):
        circuit(1, 2, **bad)


def test_a_circuit_joins_two_different_needles() -> None:
    with pytest.raises(ValidationFailed, match="two different needles"):
        circuit(1, 1)


def test_one_citation_registry_for_the_knowledge_base_and_the_instruments() -> None:
    registry = load_citations()
    instrument_sources = defined_in("instruments/citations.yaml")
    assert instrument_sources and all(registry[c.id] is c for c in instrument_sources)
    assert "farrar_2001" in registry and any(c.isbn for c in registry.values())
    assert all(c.doi or c.pmid or c.isbn or c.url for c in registry.values())


def test_a_drawn_region_is_strict() -> None:
    with pytest.raises(Exception, match="valid integer"):
        DrawnRegion(region="right-temple-middle", intensity="6")  # type: ignore[arg-type]


def test_refusals_are_written_for_a_clinician() -> None:
    """No pydantic phrasing reaches a person: the field in words and what is wrong with it."""
    from filiform.core.concepts import Demographics

    person = {"mrn": "A-1", "given_name": "x" * 5000, "family_name": "Lovelace", "birth_date": "1850-01-02"}
    with pytest.raises(ValidationFailed) as exc:
        Demographics.parse({**person, "email": "not-an-address"})
    assert exc.value.details == [
        "given name: is too long (at most 120 characters)",
        "birth date: is more than 125 years ago: check the year",
        "sex: is required",
        "email: is not an e-mail address (write it as name@example.org)",
    ]
    assert "Input should" not in str(exc.value) and "_" not in " ".join(exc.value.details)
