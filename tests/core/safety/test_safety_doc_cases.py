"""The case table in docs/safety.md runs here, so the document and the engine cannot drift.

Each row starts from the all-clear intake (every question answered with its no-risk
answer, age 40, BMI 24), screened on 2026-03-02, changes the answers in the first
column, plans the targets and sites in the second, runs the circuits in the third and
checks one decision. Every rule in the rules file must be reached by a row or by the
unknown-answer test in test_safety_screening.py.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from filiform.core.concepts import Technique
from filiform.core.kb.loader import load_kb
from filiform.core.safety.circuits import CircuitPath
from filiform.core.safety.decision import Decision, Reason, ScreeningResult
from filiform.core.safety.intake import CLEAR_ANSWERS, SITE_LISTS, Intake, parse_dated_site, parse_muscle_injury
from filiform.core.safety.rules import load_rules
from filiform.core.safety.screening import evaluate
from filiform.core.safety.sites import planned_sites

DOC = Path(__file__).parents[3] / "docs" / "safety.md"
DAY = date(2026, 3, 2)
BASE: dict[str, Any] = {**CLEAR_ANSWERS, "age": 40, "bmi": 24.0}


def _cases() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Cases", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if re.match(r"^\| *\d+ *\|", line)]
    return [[c.strip().replace("\\|", "|") for c in row.strip().strip("|").split(" | ")] for row in rows]


def _value(key: str, raw: str) -> Any:
    if raw == "":
        return None
    if key in ("age", "pregnancy_trimester"):
        return int(raw)
    if key in ("inr", "bmi"):
        return float(raw)
    if key in SITE_LISTS:
        return [x.strip() for x in raw.split(",")]
    if key == "corticosteroid_injections":
        return [parse_dated_site(x) for x in raw.split(",")]
    if key == "muscle_injuries":
        return [parse_muscle_injury(x) for x in raw.split(",")]
    return raw


def _intake(cell: str) -> Intake:
    data = dict(BASE)
    if cell.strip("`") != "-":
        for item in cell.strip("`").split("; "):
            key, _, raw = item.partition("=")
            data[key.strip()] = _value(key.strip(), raw.strip())
    return Intake.from_data({k: v for k, v in data.items() if v is not None})


def _planned(cell: str) -> tuple[list[tuple[str, str | None]], list[str]]:
    targets: list[tuple[str, str | None]] = []
    sites: list[str] = []
    if cell.strip("`") != "-":
        for item in (x.strip() for x in cell.strip("`").split(", ")):
            if item.startswith("@"):
                sites.append(item[1:])
            else:
                tid, _, side = item.partition(":")
                targets.append((tid, side or None))
    return targets, sites


def _circuits(cell: str) -> list[CircuitPath]:
    out = []
    if cell.strip("`") != "-":
        for item in cell.strip("`").split("; "):
            label, _, rest = item.partition("=")
            ends, *params = rest.split(",")
            a, b = ends.split("+")
            hz = [float(p[:-2]) for p in params if p.endswith("hz")]
            out.append(CircuitPath(label=label, a=a, b=b, frequency_hz=hz[0] if hz else None))
    return out


def _checked(result: ScreeningResult, check: str) -> tuple[Decision, tuple[Reason, ...]]:
    words = check.split()
    if words[0] == "overall":
        worst = max(result.techniques, key=lambda t: t.decision.severity)
        return worst.decision, tuple(r for t in result.techniques for r in t.reasons)
    if words[0] == "circuit":
        cd = next(c for c in result.circuits if c.label == words[1])
        return cd.decision, cd.reasons
    if words[0] == "site":
        sd = result.sites[int(words[1]) - 1]
        if len(words) == 3:
            td = next(t for t in sd.techniques if t.technique == Technique(words[2]))
            return td.decision, td.reasons
        return sd.decision, tuple(r for t in sd.techniques for r in t.reasons)
    td = result.for_technique(words[0])
    return td.decision, td.reasons


CASES = _cases()


def test_the_table_has_at_least_sixty_cases() -> None:
    assert len(CASES) >= 60
    assert [int(c[0]) for c in CASES] == list(range(1, len(CASES) + 1))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_case(case: list[str]) -> None:
    _, answers, planned, circuits, us, check, expected, rule, _source = case
    targets, sites = _planned(planned)
    ultrasound = {"yes": True, "no": False}.get(us.strip("`"))
    result = evaluate(
        _intake(answers),
        planned_sites(load_kb(), targets, sites),
        _circuits(circuits),
        on=DAY,
        ultrasound=ultrasound,
    )
    decision, reasons = _checked(result, check.strip("`"))
    assert decision == Decision(expected.strip("`")), [r.rule_id for r in reasons]
    if rule.strip("`") != "-":
        assert rule.strip("`") in {r.rule_id for r in reasons}


def test_every_rule_is_reached_by_a_case_or_the_unknown_answer_test() -> None:
    rules = load_rules()
    in_table = {c[7].strip("`") for c in CASES}
    unknown_rules = {r.id for r in rules.rules if any(cl.missing for cl in r.when)}
    every = {r.id for r in rules.rules} | {f"ultrasound_only_{u.target}" for u in rules.ultrasound_only}
    assert every - in_table - unknown_rules == set()
