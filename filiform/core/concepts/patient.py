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

from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, StringConstraints

from filiform.core.concepts.contact import PatientContact
from filiform.core.concepts.values import PastDate, Strict, enum_of


class Sex(StrEnum):
    """Administrative sex as recorded (FHIR ``AdministrativeGender``)."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
Mrn = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^[0-9+()./ -]*$")]
Email = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")]

# Fields an amendment may change (the MRN is the clinic's key for the person: never amended).
AMENDABLE = frozenset({"given_name", "family_name", "birth_date", "sex", "phone", "email"})


class Demographics(Strict):
    mrn: Mrn
    given_name: Name
    family_name: Name
    birth_date: PastDate
    sex: Annotated[Sex, BeforeValidator(enum_of(Sex))]
    phone: Phone | None = None
    email: Email | None = None
    # What another system sent beyond these columns (imports only; see concepts/contact.py).
    contact: PatientContact = PatientContact()
