"""Everything a source system said about how to name, reach and identify a patient.

Filiform's own forms keep one given name, one family name, one phone and one e-mail (the
``Demographics`` columns). Another system may send several names (a second given name, a
maiden name), several phones (home and mobile), postal addresses and identifiers of other
systems (a national id, another hospital's record number). Dropping them would lose data;
squeezing them into the columns would invent it (a mobile number "overwriting" the phone,
a social security number becoming the record number). So they are kept as received, in
the shape of the FHIR R4 data types (``HumanName``, ``ContactPoint``, ``Address``,
``Identifier``), validated strictly: an element this model does not know is a refusal
naming it, never a silent drop.

>>> c = PatientContact.parse({"telecom": [{"system": "phone", "value": "555-0100", "use": "mobile"}]})
>>> c.telecom[0].use
'mobile'
>>> PatientContact().model_dump()
{}
>>> PatientContact.parse({"telecom": [{"system": "pigeon", "value": "x"}]})
Traceback (most recent call last):
...
filiform.errors.ValidationFailed: invalid patient contact
  - telecom 1 system: must be one of 'phone', 'fax', 'email', 'pager', 'url', 'sms' or 'other'
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_serializer

from filiform.core.concepts.values import Strict

Short = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Uri = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Many: Any = Field(default_factory=list, max_length=20)


class _Element(Strict):
    """A FHIR data type: dumped without empty parts, exactly as FHIR JSON has it."""

    @model_serializer(mode="wrap")
    def _without_empty(self, handler: Any) -> dict[str, Any]:
        return {k: v for k, v in handler(self).items() if v not in (None, (), [], {})}


class Period(_Element):
    start: Short | None = None
    end: Short | None = None


class Coding(_Element):
    system: Uri | None = None
    version: Short | None = None
    code: Short | None = None
    display: Short | None = None


class CodeableConcept(_Element):
    coding: list[Coding] = Many
    text: Short | None = None


class Reference(_Element):
    reference: Uri | None = None
    display: Short | None = None


class HumanName(_Element):
    use: Literal["usual", "official", "temp", "nickname", "anonymous", "old", "maiden"] | None = None
    text: Short | None = None
    family: Short | None = None
    given: list[Short] = Many
    prefix: list[Short] = Many
    suffix: list[Short] = Many
    period: Period | None = None


class ContactPoint(_Element):
    system: Literal["phone", "fax", "email", "pager", "url", "sms", "other"] | None = None
    value: Short | None = None
    use: Literal["home", "work", "temp", "old", "mobile"] | None = None
    rank: Annotated[int, Field(ge=1)] | None = None
    period: Period | None = None


class Address(_Element):
    use: Literal["home", "work", "temp", "old", "billing"] | None = None
    type: Literal["postal", "physical", "both"] | None = None
    text: Short | None = None
    line: list[Short] = Many
    city: Short | None = None
    district: Short | None = None
    state: Short | None = None
    postalCode: Short | None = None
    country: Short | None = None
    period: Period | None = None


class Identifier(_Element):
    use: Literal["usual", "official", "temp", "secondary", "old"] | None = None
    type: CodeableConcept | None = None
    system: Uri | None = None
    value: Short | None = None
    period: Period | None = None
    assigner: Reference | None = None


class PatientContact(_Element):
    """Names, telecoms, addresses and identifiers as a source sent them (FHIR element names).

    ``name[0]`` and the first phone and e-mail are the ones the ``Demographics`` columns
    show; when those columns are amended, an export reports the amended values there.
    """

    name: list[HumanName] = Many
    telecom: list[ContactPoint] = Many
    address: list[Address] = Many
    identifier: list[Identifier] = Many
