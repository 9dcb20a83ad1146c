"""The ICD-10-CM tabular entries the conditions use, shipped as data with their source.

Conditions list candidate codes; which one applies depends on side, region or encounter,
so each entry carries its laterality (and encounter for injury codes) and the Excludes1
notes that forbid coding two candidates together. A later billing change lets the
clinician choose one code per episode from :func:`coding_candidates`.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Annotated, Literal

from pydantic import Field

from filiform.core.kb.models import Strict, Text
from filiform.core.kb.yaml_source import Issue, load_document
from filiform.errors import KnowledgeBaseError

from .models import Condition, IcdCode

CODES_FILE = "codes/icd10cm_fy2026.yaml"
Laterality = Literal["right", "left", "bilateral", "unspecified", "not_applicable"]


class IcdHeader(Strict):
    """A category or subcategory above the billable codes (never billable itself)."""

    code: IcdCode
    title: Text
    billable: bool
    excludes1: tuple[str, ...] = ()


class IcdEntry(Strict):
    """One tabular code: title, whether it is a billable leaf, and how it is specified."""

    code: IcdCode
    title: Text
    billable: bool
    parent: IcdCode
    laterality: Laterality
    encounter: Literal["initial", "subsequent", "sequela"] | None = None
    excludes1: tuple[str, ...] = ()


class IcdTabular(Strict):
    source: Text
    version: Text
    extracted_with: Text
    how_confirmed: Text
    headers: Annotated[tuple[IcdHeader, ...], Field(min_length=1)]
    codes: Annotated[tuple[IcdEntry, ...], Field(min_length=1)]

    def entry(self, code: str) -> IcdEntry | None:
        return next((e for e in self.codes if e.code == code), None)

    def header(self, code: str) -> IcdHeader | None:
        return next((h for h in self.headers if h.code == code), None)


def load_icd10cm_with_issues() -> tuple[IcdTabular | None, list[Issue]]:
    record, issues, _doc = load_document(resources.files("filiform.data").joinpath(CODES_FILE), CODES_FILE, IcdTabular)
    return record, issues


@lru_cache(maxsize=1)
def load_icd10cm() -> IcdTabular:
    record, issues = load_icd10cm_with_issues()
    if record is None or issues:
        raise KnowledgeBaseError(f"{CODES_FILE} is invalid", details=[str(i) for i in issues[:20]])
    return record


def coding_candidates(condition: Condition) -> tuple[IcdEntry, ...]:
    """The condition's codes as tabular entries, in the condition's order.

    Raises when a listed code is missing from the shipped tabular, so a face can never
    offer a code nobody checked.
    """
    tab = load_icd10cm()
    out = []
    for code in condition.icd10cm:
        entry = tab.entry(code)
        if entry is None:
            raise KnowledgeBaseError(f"condition '{condition.id}' lists '{code}', which is not in {CODES_FILE}")
        out.append(entry)
    return tuple(out)
