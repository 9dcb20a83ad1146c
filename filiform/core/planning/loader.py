"""Load conditions and techniques from package data, with file:line for every problem.

Uses the knowledge base's located YAML parser so a data author gets the same kind of
message (``conditions/x.yaml:12: dosing.sessions: field required``) for every file.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter

from filiform.core.kb.yaml_source import Issue, SourceDoc, YamlSyntaxError, parse, validate_located
from filiform.errors import KnowledgeBaseError, NotFound

from .models import Condition, TechniqueSpec

M = TypeVar("M", bound=BaseModel)
_TECHNIQUES = TypeAdapter(tuple[TechniqueSpec, ...])


def _validate(model: Any, data: Any, doc: SourceDoc, issues: list[Issue]) -> Any:
    """Strict JSON-mode validation with located errors, shared with the KB loader."""
    return validate_located(model, data, doc, (), issues)


def validate_doc(text: str, file: str, model: Any) -> tuple[Any, list[Issue], SourceDoc | None]:
    """Parse ``text`` and validate it as ``model``; returns (record or None, issues, doc)."""
    issues: list[Issue] = []
    try:
        doc = parse(text, file)
    except YamlSyntaxError as exc:
        return None, [exc.issue], None
    return _validate(model, doc.data, doc, issues), issues, doc


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
        record, found, doc = validate_doc(path.read_text(encoding="utf-8"), rel, Condition)
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
    text = _data().joinpath("techniques.yaml").read_text(encoding="utf-8")
    records, issues, doc = validate_doc(text, "techniques.yaml", _TECHNIQUES)
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
