"""Measure the matcher on the published case file (top-k recall, side-aware).

A case is a hit at k when any expected muscle, on the side drawn, is among the first k
muscles ranked. The case file is data (``filiform/data/eval/referral_cases.yaml``) so that
anyone can add cases without touching code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from filiform.core.concepts import DrawnRegion, PainDrawing, Side
from filiform.core.kb.yaml_source import load_document, raise_issues
from filiform.errors import KnowledgeBaseError

from .engine import MatchEngine


class Case(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    id: str
    regions: Annotated[tuple[str, ...], Field(min_length=1)]
    expected: Annotated[tuple[str, ...], Field(min_length=1)]
    source: str


class CaseFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    cases: tuple[Case, ...]


@dataclass(frozen=True)
class CaseOutcome:
    case: Case
    rank: int | None  # 1-based rank of the first expected muscle, None if absent
    top: tuple[str, ...]


@dataclass
class EvalReport:
    outcomes: list[CaseOutcome] = field(default_factory=list)

    def recall(self, k: int) -> float:
        if not self.outcomes:
            return 0.0
        hits = sum(1 for o in self.outcomes if o.rank is not None and o.rank <= k)
        return hits / len(self.outcomes)

    def misses(self, k: int) -> list[CaseOutcome]:
        return [o for o in self.outcomes if o.rank is None or o.rank > k]


def load_cases(text: str | None = None) -> CaseFile:
    """The case file (or ``text`` in its format), validated with file and line for each problem."""
    source = text if text is not None else resources.files("filiform.data").joinpath("eval/referral_cases.yaml")
    cases, issues, _ = load_document(source, "eval/referral_cases.yaml", CaseFile)
    raise_issues("the evaluation case file is invalid", issues)
    assert isinstance(cases, CaseFile)
    return cases


def _side_of(case: Case) -> Side:
    sides = {r.split("-", 1)[0] for r in case.regions}
    if len(sides) != 1:
        return Side.RIGHT if "right" in sides else Side.LEFT
    return Side(sides.pop())


def evaluate(engine: MatchEngine, cases: CaseFile) -> EvalReport:
    """Run every case; unknown expected muscles are a data error, not a miss."""
    report = EvalReport()
    for case in cases.cases:
        unknown = [m for m in case.expected if m not in engine.kb.muscles]
        if unknown:
            raise KnowledgeBaseError(f"case '{case.id}' expects muscles not in the base: {unknown}")
        if case.source not in engine.kb.citations:
            raise KnowledgeBaseError(f"case '{case.id}' cites unknown source '{case.source}'")
        drawing = PainDrawing(regions=tuple(DrawnRegion(region=r, intensity=6) for r in case.regions))
        result = engine.match(drawing, limit=None)
        side = _side_of(case)
        ranked = [m.muscle_id for m in result.muscles if m.side is side]
        rank = next((i for i, m in enumerate(ranked, 1) if m in case.expected), None)
        report.outcomes.append(CaseOutcome(case=case, rank=rank, top=tuple(ranked[:5])))
    return report
