"""Consistency checks for the clinical data this package owns (called by ``kb check``).

Schema problems come from the loaders; these checks need the knowledge base too: does
every condition target exist, every citation resolve, every ICD-10-CM code sit on the
checked list of billable leaves, every screening question have an unknown path.
"""

from __future__ import annotations

from filiform.core.kb.loader import load_with_issues
from filiform.core.kb.yaml_source import Issue, SourceDoc
from filiform.core.safety.checks import check_safety_data
from filiform.core.safety.intake import QUESTIONS, SITE_LISTS
from filiform.core.safety.rules import load_rules_with_issues

from .loader import load_conditions_with_issues, load_techniques_with_issues

BILLABLE_ICD10CM = frozenset(
    {
        # Checked against the April 2026 tabular (docs: /work/shared/research/standards.md §2.2).
        "M79.10",
        "M79.11",
        "M79.12",
        "M79.18",
        "M62.830",
        "M62.831",
        "M62.838",
        "M77.10",
        "M77.11",
        "M77.12",
        "M72.2",
        "M76.60",
        "M76.61",
        "M76.62",
        "M54.30",
        "M54.31",
        "M54.32",
        "M54.40",
        "M54.41",
        "M54.42",
        "M54.16",
        "M54.17",
        "G56.00",
        "G56.01",
        "G56.02",
        "G56.03",
        "M17.0",
        "M17.10",
        "M17.11",
        "M17.12",
        "M17.9",
        "L90.5",
        "L91.0",
        "M26.601",
        "M26.602",
        "M26.603",
        "M26.609",
        "M26.621",
        "M26.622",
        "M26.623",
        "M26.629",
        "M26.69",
        "G44.201",
        "G44.209",
        "G44.211",
        "G44.219",
        "G44.221",
        "G44.229",
        "M54.50",
        "M54.51",
        "M54.59",
        "M54.2",
        "M54.6",
        "G89.29",
        "G89.4",
    }
)
HEADER_ICD10CM = frozenset(
    {
        "M79.1",
        "M54.5",
        "M54.3",
        "M54.4",
        "G56.0",
        "M17.1",
        "M77.1",
        "M76.6",
        "M26.60",
        "M26.62",
        "G44.2",
        "G44.20",
        "G44.21",
        "G44.22",
    }
)


def _outcome_ids() -> set[str] | None:
    try:
        from filiform.core.outcomes.registry import list_instruments

        return {i.id for i in list_instruments(include_unscorable=True)}
    except Exception:  # the outcomes package is another engineer's; skip if it cannot load
        return None


def _line(doc: SourceDoc | None, path: tuple[str | int, ...]) -> int:
    return doc.line_of(path) if doc is not None else 1


def _check_conditions(issues: list[Issue], targets: set[str], citations: set[str]) -> None:
    conditions, found, docs = load_conditions_with_issues()
    issues += found
    by_file = {d.file: d for d in docs}
    outcomes = _outcome_ids()
    for cond in conditions.values():
        file = f"conditions/{cond.id}.yaml"
        doc = by_file.get(file)
        for i, code in enumerate(cond.icd10cm):
            if code in HEADER_ICD10CM:
                issues.append(Issue(file, _line(doc, ("icd10cm", i)), f"ICD-10-CM '{code}' is a header, not billable"))
            elif code not in BILLABLE_ICD10CM:
                issues.append(
                    Issue(
                        file,
                        _line(doc, ("icd10cm", i)),
                        f"ICD-10-CM '{code}' is not on the checked list of billable codes",
                    )
                )
        for i, t in enumerate(cond.targets):
            if t.target not in targets:
                issues.append(Issue(file, _line(doc, ("targets", i)), f"unknown target '{t.target}'"))
        for i, m in enumerate(cond.outcome_measures):
            if outcomes is not None and m not in outcomes:
                issues.append(Issue(file, _line(doc, ("outcome_measures", i)), f"unknown outcome measure '{m}'"))
    for doc in docs:
        _check_citations(doc, citations, issues)


def _check_citations(doc: SourceDoc, citations: set[str], issues: list[Issue]) -> None:
    for path, value, line in doc.scalars():
        key = next((p for p in reversed(path) if isinstance(p, str)), None)
        if key in ("citations", "citation") and value not in citations:
            issues.append(Issue(doc.file, line, f"unknown citation '{value}'"))


def _check_rules(issues: list[Issue], citations: set[str], targets: set[str]) -> None:
    rules, found, doc = load_rules_with_issues()
    issues += found
    if doc is not None:
        _check_citations(doc, citations, issues)
    if rules is None:
        return
    for tid in rules.noncompressible_targets:
        if tid not in targets:
            issues.append(Issue("screening/rules.yaml", 1, f"unknown non-compressible target '{tid}'"))
    covered = {c.q for r in rules.rules for c in r.when if c.missing}
    for q in QUESTIONS:
        if q not in covered and q not in SITE_LISTS:
            issues.append(Issue("screening/rules.yaml", 1, f"question '{q}' has no unknown-answer rule"))
    kb, _ = load_with_issues()
    issues += check_safety_data(kb, rules)


def check_clinical_data() -> list[Issue]:
    """Every problem in conditions, techniques and screening rules, sorted by file and line."""
    kb, _ = load_with_issues()
    targets, citations = set(kb.targets), set(kb.citations)
    issues: list[Issue] = []
    _check_conditions(issues, targets, citations)
    _specs, found, doc = load_techniques_with_issues()
    issues += found
    if doc is not None:
        _check_citations(doc, citations, issues)
    _check_rules(issues, citations, targets)
    return sorted(issues, key=lambda i: (i.file, i.line, i.message))
