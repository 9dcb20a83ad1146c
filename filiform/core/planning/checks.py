"""Consistency checks for the clinical data this package owns (called by ``kb check``).

Schema problems come from the loaders; these checks need the knowledge base too: does
every condition target exist, every citation resolve, every ICD-10-CM code sit in the
shipped tabular as a billable leaf, every screening question have an unknown path.
"""

from __future__ import annotations

from filiform.core.kb.loader import load_with_issues
from filiform.core.kb.yaml_source import Issue, SourceDoc
from filiform.core.safety.checks import check_safety_data
from filiform.core.safety.intake import QUESTIONS, SITE_LISTS
from filiform.core.safety.rules import load_rules_with_issues
from filiform.errors import KnowledgeBaseError

from .codes import CODES_FILE, IcdTabular, load_icd10cm_with_issues
from .loader import load_conditions_with_issues, load_techniques_with_issues


def _outcome_ids(issues: list[Issue]) -> set[str] | None:
    """The instrument ids conditions may name; None (with the instruments' problems reported
    as issues) when the instrument files themselves do not load, so no condition is judged
    against a partial list and no problem goes unreported."""
    from filiform.core.outcomes.registry import list_instruments

    try:
        return {i.id for i in list_instruments(include_unscorable=True)}
    except KnowledgeBaseError as exc:
        issues.append(Issue("instruments", 1, "; ".join([exc.message, *exc.details])))
        return None


def _line(doc: SourceDoc | None, path: tuple[str | int, ...]) -> int:
    return doc.line_of(path) if doc is not None else 1


def _check_conditions(issues: list[Issue], targets: set[str], citations: set[str]) -> None:
    conditions, found, docs = load_conditions_with_issues()
    issues += found
    by_file = {d.file: d for d in docs}
    outcomes = _outcome_ids(issues)
    tabular, found = load_icd10cm_with_issues()
    issues += found
    for cond in conditions.values():
        file = f"conditions/{cond.id}.yaml"
        doc = by_file.get(file)
        for i, code in enumerate(cond.icd10cm):
            problem = _code_problem(tabular, code)
            if problem:
                issues.append(Issue(file, _line(doc, ("icd10cm", i)), problem))
        for i, t in enumerate(cond.targets):
            if t.target not in targets:
                issues.append(Issue(file, _line(doc, ("targets", i)), f"unknown target '{t.target}'"))
        for i, m in enumerate(cond.outcome_measures):
            if outcomes is not None and m not in outcomes:
                issues.append(Issue(file, _line(doc, ("outcome_measures", i)), f"unknown outcome measure '{m}'"))
    for doc in docs:
        _check_citations(doc, citations, issues)


def _code_problem(tabular: IcdTabular | None, code: str) -> str | None:
    """Why ``code`` may not be billed, or None when it is a billable leaf in the shipped tabular."""
    if tabular is None:
        return None  # the tabular file itself is reported as broken
    if tabular.header(code) is not None:
        return f"ICD-10-CM '{code}' is a header, not billable"
    entry = tabular.entry(code)
    if entry is None:
        return f"ICD-10-CM '{code}' is not in {CODES_FILE}"
    if not entry.billable:
        return f"ICD-10-CM '{code}' is not a billable leaf"
    return None


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
