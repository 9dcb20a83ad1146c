"""Consent to needling and episodes of care: the fields creation, amendment and import share.

>>> EpisodeDetails.parse({"condition": "neck pain", "icd10_codes": "M79.1", "opened_on": "2026-01-05"})
Traceback (most recent call last):
...
filiform.errors.ValidationFailed: invalid episode details
  - icd10 codes: must be a list
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from filiform.core.concepts.values import IsoDate, Note, PastDate, Strict

ICD10 = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")


def _icd10(code: str) -> str:
    if not ICD10.match(code):
        raise ValueError(f"not an ICD-10 code: {code[:12]}")
    return code


Icd10Code = Annotated[str, StringConstraints(max_length=10), AfterValidator(_icd10)]


class ConsentDetails(Strict):
    """Informed consent as obtained (by the acting user): which form version, when."""

    form_version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    consented_on: PastDate
    withdrawn_on: PastDate | None = None
    notes: Note | None = None

    @model_validator(mode="after")
    def _withdrawn_after_given(self) -> ConsentDetails:
        if self.withdrawn_on is not None and self.withdrawn_on < self.consented_on:
            raise ValueError("consent cannot be withdrawn before it was given")
        return self


CONSENT_AMENDABLE = frozenset({"withdrawn_on", "notes"})


class EpisodeDetails(Strict):
    """An episode of care: the condition treated, its codes, the plan, when it opened and closed."""

    condition: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    icd10_codes: Annotated[list[Icd10Code], Field(default_factory=list, max_length=20)]
    opened_on: IsoDate
    plan: Note | None = None
    closed_on: IsoDate | None = None

    @model_validator(mode="after")
    def _closed_after_opened(self) -> EpisodeDetails:
        if self.closed_on is not None and self.closed_on < self.opened_on:
            raise ValueError("an episode cannot close before it opened")
        return self


EPISODE_AMENDABLE = frozenset({"condition", "icd10_codes", "plan", "closed_on"})
