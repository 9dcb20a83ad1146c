"""Finding people: any part of the MRN, given or family name (accents and case ignored) or the
birth date, on SQLite and PostgreSQL; MRNs from the clinic's sequence unless typed."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from services_world import World

from filiform.errors import Conflict, ValidationFailed
from filiform.services.records import patients
from filiform.storage.engine import transaction

PEOPLE = [
    ("Q-7001", "José", "Núñez-García", date(1975, 6, 30)),
    ("Q-7002", "Zoë", "O'Brien", date(1990, 2, 14)),
    ("Q-7003", "Søren", "Ærø", date(1961, 11, 5)),
    ("Q-7004", "Ann", "Lovelace", date(1990, 2, 14)),
]


def _register(world: World, mrn: str | None, given: str, family: str, born: date, actor: object = None) -> str:
    details = {"given_name": given, "family_name": family, "birth_date": born.isoformat(), "sex": "female"}
    if mrn is not None:
        details["mrn"] = mrn
    row = world.run(patients.register_patient, actor=actor or world.clinician, details=details, lax=True)
    return str(row.mrn)


@pytest.fixture
def people(world: World) -> World:
    for mrn, given, family, born in PEOPLE:
        _register(world, mrn, given, family, born)
    return world


def _found(world: World, query: str) -> list[str]:
    return [p.mrn for p in world.run(patients.search_patients, actor=world.front_desk, query=query)]


@pytest.mark.parametrize(
    ("query", "mrns"),
    [
        ("nunez", ["Q-7001"]),  # no accents typed, accents stored
        ("NÚÑEZ", ["Q-7001"]),
        ("garc", ["Q-7001"]),  # any part of a double-barrelled name
        ("jose nunez", ["Q-7001"]),  # given and family together
        ("obrien", ["Q-7002"]),  # the apostrophe ignored
        ("zoe", ["Q-7002"]),
        ("soren aero", ["Q-7003"]),  # letters with no decomposition (ø, æ)
        ("q-7004", ["Q-7004"]),  # the MRN
        ("7003", ["Q-7003"]),
        ("1990-02-14", ["Q-7004", "Q-7002"]),  # a birthday, ordered by family name
        ("14.02.1990", ["Q-7004", "Q-7002"]),
        ("ann love", ["Q-7004"]),
        ("lovelace zoe", []),  # every word must match the same person
        ("Testperson", ["N-1"]),
    ],
)
def test_search_finds_by_any_part(people: World, query: str, mrns: list[str]) -> None:
    assert _found(people, query) == mrns


def test_search_never_crosses_clinics(people: World) -> None:
    found = people.run(patients.search_patients, actor=people.other_clinician, query="testperson")
    assert [p.mrn for p in found] == ["S-1"]


def test_an_empty_mrn_gets_the_clinics_next_number_and_skips_typed_ones(world: World) -> None:
    first = _register(world, None, "Ada", "One", date(1980, 1, 1))
    _register(world, f"{int(first) + 1:06d}", "Typed", "Two", date(1980, 1, 1))  # someone typed the next number
    third = _register(world, "", "Ada", "Three", date(1980, 1, 1))
    assert first.isdigit() and len(first) == 6
    assert int(third) == int(first) + 2
    other = _register(world, None, "Bo", "Other", date(1980, 1, 1), actor=world.other_clinician)
    assert other == first  # each clinic has its own sequence


def test_a_refused_registration_uses_no_number(world: World) -> None:
    first = _register(world, None, "Ada", "One", date(1980, 1, 1))
    with pytest.raises(ValidationFailed):
        _register(world, None, "Ada", "Two", date(1850, 1, 1))
    assert int(_register(world, None, "Ada", "Three", date(1980, 1, 1))) == int(first) + 1


def test_a_typed_mrn_already_used_is_a_clear_conflict(world: World) -> None:
    with pytest.raises(Conflict, match="leave the field empty"):
        _register(world, "N-1", "Ada", "Again", date(1980, 1, 1))


def test_registrations_at_the_same_moment_get_different_numbers(world: World) -> None:
    got: list[str] = []
    errors: list[BaseException] = []

    def register(n: int) -> None:
        try:
            with transaction(world.factory) as s:
                row = patients.register_patient(
                    s,
                    actor=world.clinician,
                    details={"given_name": f"P{n}", "family_name": "Same", "birth_date": "1980-01-01", "sex": "male"},
                    lax=True,
                )
                got.append(row.mrn)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=register, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(set(got)) == 6
