"""Measure the matcher on case files (top-k recall with 95% Wilson intervals, side-aware).

A case is a hit at k when an expected target, on the side drawn, has a rank of at most k
among the targets ranked for that side; equal scores share a rank, and the report says how
many hits were shared. Case files are data (``filiform/data/eval/``) so that anyone can add
cases without touching code: ``published_cases.yaml`` (written from published referral
descriptions and case reports, with their sources) and ``legacy_cases.yaml`` (the first,
partly circular set, kept apart).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import resources
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from filiform.core.concepts import Side
from filiform.core.concepts.drawing import DrawnRegion, PainDrawing, SymptomKind
from filiform.core.kb.yaml_source import load_document, raise_issues
from filiform.errors import KnowledgeBaseError

from .engine import MatchEngine
from .models import RankedMuscle

CASE_SETS = {"published": "eval/published_cases.yaml", "legacy": "eval/legacy_cases.yaml"}
Z95 = 1.959963984540054


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


SourceKind = Literal["experimental", "clinical", "case_report", "textbook"]


class Source(_Strict):
    authors: str
    year: int
    title: str
    journal: str
    doi: str | None = None
    pmid: str | None = None
    isbn: str | None = None
    url: str | None = None
    kind: SourceKind | None = None


class Excluded(_Strict):
    """A source that was read but not written as a case, and why (RULE.md, amendment 1)."""

    source: str
    reason: str


class Case(_Strict):
    id: str
    regions: Annotated[tuple[str, ...], Field(min_length=1)]
    expected: Annotated[tuple[str, ...], Field(min_length=1)]
    source: str
    kind: SymptomKind = "ache"
    note: str | None = None


class CaseFile(_Strict):
    cases: tuple[Case, ...]
    sources: dict[str, Source] = Field(default_factory=dict)
    excluded: tuple[Excluded, ...] = ()

    def kind_of(self, case: Case) -> str | None:
        source = self.sources.get(case.source)
        return source.kind if source else None


@dataclass(frozen=True)
class CaseOutcome:
    case: Case
    rank: int | None  # shared rank of the best expected target, None if not ranked
    top: tuple[str, ...]
    shared: bool = False  # the expected target tied with another at that rank
    kind: str | None = None  # the kind of the case's source (published set only)


def wilson(hits: int, n: int) -> tuple[float, float]:
    """95% Wilson score interval for a proportion (sound at 0, 1 and small n)."""
    if n == 0:
        return (0.0, 0.0)
    p = hits / n
    centre = (p + Z95**2 / (2 * n)) / (1 + Z95**2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95**2 / (4 * n * n)) / (1 + Z95**2 / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass
class EvalReport:
    outcomes: list[CaseOutcome] = field(default_factory=list)

    def hits(self, k: int) -> int:
        return sum(1 for o in self.outcomes if o.rank is not None and o.rank <= k)

    def recall(self, k: int) -> float:
        return self.hits(k) / len(self.outcomes) if self.outcomes else 0.0

    def interval(self, k: int) -> tuple[float, float]:
        return wilson(self.hits(k), len(self.outcomes))

    def shared_hits(self, k: int) -> int:
        return sum(1 for o in self.outcomes if o.rank is not None and o.rank <= k and o.shared)

    def misses(self, k: int) -> list[CaseOutcome]:
        return [o for o in self.outcomes if o.rank is None or o.rank > k]

    def by_kind(self) -> dict[str, EvalReport]:
        """The outcomes split by the kind of their source (cases without one are left out)."""
        kinds: dict[str, EvalReport] = {}
        for o in self.outcomes:
            if o.kind:
                kinds.setdefault(o.kind, EvalReport()).outcomes.append(o)
        return kinds


def load_cases(text: str | None = None, which: str = "published") -> CaseFile:
    """A case file (or ``text`` in its format), validated with file and line for each problem."""
    source = text if text is not None else resources.files("filiform.data").joinpath(CASE_SETS[which])
    cases, issues, _ = load_document(source, CASE_SETS[which], CaseFile)
    raise_issues("the evaluation case file is invalid", issues)
    assert isinstance(cases, CaseFile)
    return cases


def _side_of(case: Case) -> Side:
    sides = {r.split("-", 1)[0] for r in case.regions} - {"midline"}
    if len(sides) != 1:
        return Side.RIGHT if "right" in sides or not sides else Side.LEFT
    return Side(sides.pop())


def _check(case: Case, cases: CaseFile, engine: MatchEngine) -> None:
    unknown = [m for m in case.expected if m not in engine.kb.targets]
    if unknown:
        raise KnowledgeBaseError(f"case '{case.id}' expects targets not in the base: {unknown}")
    if case.source not in engine.kb.citations and case.source not in cases.sources:
        raise KnowledgeBaseError(f"case '{case.id}' cites unknown source '{case.source}'")


def evaluate(engine: MatchEngine, cases: CaseFile) -> EvalReport:
    """Run every case; unknown expected targets or sources are a data error, not a miss."""
    report = EvalReport()
    for case in cases.cases:
        _check(case, cases, engine)
        drawing = PainDrawing(regions=tuple(DrawnRegion(region=r, intensity=6, kind=case.kind) for r in case.regions))
        result = engine.match(drawing, limit=None)
        side = _side_of(case)
        ranked = [m for m in result.muscles if m.side is side]
        hit = next((m for m in ranked if m.muscle_id in case.expected), None)
        shared = hit is not None and any(m.rank == hit.rank and m.muscle_id != hit.muscle_id for m in ranked)
        report.outcomes.append(
            CaseOutcome(
                case=case,
                rank=_side_rank(ranked, hit) if hit else None,
                top=tuple(m.muscle_id for m in ranked[:5]),
                shared=shared,
                kind=cases.kind_of(case),
            )
        )
    return report


def _side_rank(ranked: list[RankedMuscle], hit: RankedMuscle) -> int:
    """Rank among the targets of the drawn side: 1 + how many of them scored higher."""
    return 1 + sum(1 for m in ranked if m.score > hit.score)
