"""A patient's demographics: the fields registration, amendment and import all validate alike.

Lengths are the database columns' widths, so a value that passes here always fits the row
on SQLite and on PostgreSQL (PostgreSQL refuses an over-long value; SQLite would store it).

>>> Demographics.parse({"mrn": "A-1", "given_name": "Ada", "family_name": "Lovelace",
...                     "birth_date": "1980-01-02", "sex": "banana"})
Traceback (most recent call last):
...
filiform.errors.ValidationFailed: invalid demographics
  - sex: must be one of female, male, other, unknown
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, StringConstraints

from filiform.core.concepts.values import PastDate, Strict, enum_of

OLDEST_YEARS = 125  # older than any person documented; a birth date before this is a typing slip


class Sex(StrEnum):
    """Administrative sex as recorded (FHIR ``AdministrativeGender``)."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+$")
_PHONE = re.compile(r"^[0-9+()./ -]*$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("is not an e-mail address (write it as name@example.org)")
    return value


def _phone(value: str) -> str:
    if not _PHONE.match(value):
        raise ValueError("may hold only digits, spaces and + ( ) . / -")
    return value


def _plausible_birth(value: date) -> date:
    today = date.today()
    if value < today.replace(year=today.year - OLDEST_YEARS, day=min(today.day, 28)):
        raise ValueError(f"is more than {OLDEST_YEARS} years ago: check the year")
    return value


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Mrn = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40), AfterValidator(_phone)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(_email)]
BirthDate = Annotated[PastDate, AfterValidator(_plausible_birth)]

# Fields an amendment may change (the MRN is the clinic's key for the person: never amended).
AMENDABLE = frozenset({"given_name", "family_name", "birth_date", "sex", "phone", "email"})


class Demographics(Strict):
    """Who the patient is. A missing MRN is given the clinic's next number at registration."""

    mrn: Mrn
    given_name: Name
    family_name: Name
    birth_date: BirthDate
    sex: Annotated[Sex, BeforeValidator(enum_of(Sex))]
    phone: Phone | None = None
    email: Email | None = None


def age_on(born: date, day: date) -> int:
    """Whole years of age on ``day`` (the birthday itself counts).

    >>> age_on(date(2008, 3, 9), date(2026, 3, 8)), age_on(date(2008, 3, 9), date(2026, 3, 9))
    (17, 18)
    """
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})
_SEPARATORS = re.compile(r"[\s\-_.,/]+")
_DROPPED = re.compile(r"['’`´]")


@lru_cache(maxsize=65536)
def search_fold(text: str) -> str:
    """Text as patient search compares it: no accents, no case, apostrophes dropped,
    hyphens and other separators as single spaces (so "Núñez-O'Brien" is "nunez obrien").

    >>> search_fold("Núñez-O'Brien"), search_fold("STRAßE"), search_fold("Søren  Ærø")
    ('nunez obrien', 'strasse', 'soren aero')
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_LETTERS)
    return _SEPARATORS.sub(" ", _DROPPED.sub("", plain)).strip()
