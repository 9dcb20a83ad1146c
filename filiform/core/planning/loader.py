"""Load conditions and techniques from package data, with file:line for every problem.

Uses the one located YAML loader (:mod:`filiform.core.kb.yaml_source`) so a data author gets
the same kind of message (``conditions/x.yaml:12: dosing.sessions: field required``) for
every file.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter

from filiform.core.kb.yaml_source import Issue, SourceDoc, load_document
from filiform.errors import KnowledgeBaseError, NotFound

from .models import Condition, TechniqueSpec

M = TypeVar("M", bound=BaseModel)
_TECHNIQUES = TypeAdapter(tuple[TechniqueSpec, ...])


def _data() -> Any:
    return resources.files("filiform.data")


def load_conditions_with_issues() -> tuple[dict[str, Condition], list[Issue], list[SourceDoc]]:
    conditions: dict[str, Condition] = {}
    issues: list[Issue] = []
    docs: list[SourceDoc] = []
    folder = _data().joinpath("conditions")
    files = sorted((p for p in folder.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name)
    for path in files:
        rel = f"conditions/{path.name}"
        record, found, doc = load_document(path, rel, Condition)
        issues += found
        if doc is not None:
            docs.append(doc)
        if record is None:
            continue
        stem = path.name.rsplit(".", 1)[0]
        if record.id != stem:
            issues.append(Issue(rel, 1, f"id '{record.id}' does not match file name '{stem}'"))
        conditions[record.id] = record
    return conditions, issues, docs


def load_techniques_with_issues() -> tuple[dict[str, TechniqueSpec], list[Issue], SourceDoc | None]:
    records, issues, doc = load_document(_data().joinpath("techniques.yaml"), "techniques.yaml", _TECHNIQUES)
    specs = {r.id.value: r for r in records or ()}
    if records is not None and len(specs) != len(records):
        issues.append(Issue("techniques.yaml", 1, "a technique is listed twice"))
    return specs, issues, doc


@lru_cache(maxsize=1)
def load_conditions() -> dict[str, Condition]:
    conditions, issues, _ = load_conditions_with_issues()
    if issues:
        raise KnowledgeBaseError("condition files are invalid", details=[str(i) for i in issues[:20]])
    return conditions


@lru_cache(maxsize=1)
def load_techniques() -> dict[str, TechniqueSpec]:
    specs, issues, _ = load_techniques_with_issues()
    if issues:
        raise KnowledgeBaseError("techniques.yaml is invalid", details=[str(i) for i in issues[:20]])
    return specs


def get_condition(ident: str) -> Condition:
    conditions = load_conditions()
    if ident not in conditions:
        raise NotFound(f"no condition '{ident}'; known: {', '.join(sorted(conditions))}")
    return conditions[ident]
