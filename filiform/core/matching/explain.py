"""What a clinician can check: which painted regions a target explains, and why it moved.

Built only for the rows that are shown (and the short list the set cover works on), never
for every hypothesis scored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from filiform.core.concepts import Side
from filiform.core.kb.loader import KnowledgeBase
from filiform.errors import ValidationFailed

from .index import CLASS_NAMES, NEURAL, P_ZONE, Hypothesis
from .models import Finding, PainDrawing, RankedMuscle, RankedTriggerPoint

_NEURAL_KINDS = {"burning", "numbness", "pins_and_needles"}


T = TypeVar("T")


def _built(cls: type[T], values: dict[str, Any]) -> T:
    """An instance of the frozen dataclass ``cls`` holding ``values``, one for every field.

    Why: the generated ``__init__`` of a frozen dataclass sets each field through
    ``object.__setattr__``, about 5 us for a ranked row of 16 fields, the largest single cost
    of a query; writing the instance dictionary in one step gives the same object (equal,
    same hash and repr, still frozen) in a fraction of the time. Every field must be given
    (checked), so no default is silently skipped.
    """
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = frozenset(f.name for f in fields(cls))  # type: ignore[arg-type]
    if values.keys() != names:
        raise TypeError(f"{cls.__name__}: give exactly its fields, not {sorted(values)}")
    obj = object.__new__(cls)
    obj.__dict__.update(values)
    return obj


_FIELDS: dict[type, frozenset[str]] = {}


@dataclass(frozen=True)
class Painted:
    intensity: int
    kind: str
    depth: str | None
    coverage: float


@dataclass(frozen=True)
class Query:
    """What every explanation of one drawing shares, worked out once per query."""

    painted: Mapping[str, Painted]
    ids: tuple[str, ...]  # painted region ids, sorted
    total: float  # painted intensity times coverage, summed (1 when nothing is painted)
    plain: bool  # every painted region is an ache of unstated depth: no kind or depth reasons

    @classmethod
    def of(cls, painted: Mapping[str, Painted]) -> Query:
        total = sum(p.intensity * p.coverage for p in painted.values()) or 1.0
        plain = all(p.kind == "ache" and p.depth is None for p in painted.values())
        return cls(painted, tuple(sorted(painted)), total, plain)

    def hits(self, h: Hypothesis) -> tuple[str, ...]:
        """The painted regions inside the hypothesis's zones, sorted."""
        zones = h.zones
        return tuple(rid for rid in self.ids if rid in zones)


def _hits(h: Hypothesis, q: Query, hit: tuple[str, ...]) -> tuple[dict[str, list[str]], float, float]:
    by_kind: dict[str, list[str]] = {"essential": [], "spillover": [], "local": []}
    zones, painted = h.zones, q.painted
    covered = explained = 0.0
    for rid in hit:
        kind = zones[rid]
        by_kind[kind].append(rid)
        covered += P_ZONE[kind]
        region = painted[rid]
        explained += region.intensity * region.coverage
    return by_kind, covered / h.weight_total if h.weight_total else 0.0, explained / q.total


def _reasons(h: Hypothesis, hit: tuple[str, ...], q: Query, applied: tuple[str, ...], prior: float) -> tuple[str, ...]:
    if q.plain and len(h.tps) < 2 and not applied and prior == 0:
        return ()
    painted = q.painted
    reasons = []
    kinds = sorted({painted[r].kind for r in hit if painted[r].kind != "ache"})
    if kinds:
        weight = "counted in full" if h.cls in NEURAL else "counted at reduced weight"
        reasons.append(f"{', '.join(k.replace('_', ' ') for k in kinds)} ({CLASS_NAMES[h.cls]}: {weight})")
    depths = sorted({d for r in hit if (d := painted[r].depth)})
    if depths:
        reasons.append(f"marked {'/'.join(depths)} ({CLASS_NAMES[h.cls]})")
    if len(h.tps) > 1:
        reasons.append(f"{len(h.tps)} trigger points together")
    if applied:
        reasons.append("findings: " + ", ".join(f.replace("_", " ") for f in applied))
    if prior != 0:
        reasons.append(f"condition prior {prior:+.2f}")
    return tuple(reasons)


def explain_group(
    h: Hypothesis,
    score: float,
    rank: int,
    q: Query,
    findings: Mapping[tuple[str, Side], tuple[str, ...]],
    log_prior: Mapping[str, float],
    hit: tuple[str, ...] | None = None,
) -> RankedMuscle:
    if hit is None:
        hit = q.hits(h)
    by_kind, coverage, explained = _hits(h, q, hit)
    applied = findings.get((h.target_id, h.side), ())
    zones = h.zones
    return _built(
        RankedMuscle,
        {
            "muscle_id": h.target_id,
            "muscle_name": h.target_name,
            "side": h.side,
            "score": score,  # already rounded to the tie precision by the engine
            "best_tp": h.tps[0] if h.tps else h.target_id,
            "explained": hit,
            "tps": h.tps,
            "rank": rank,
            "kind": h.kind,
            "unexplained": tuple(rid for rid in q.ids if rid not in zones),
            "essential_hits": tuple(by_kind["essential"]),
            "spillover_hits": tuple(by_kind["spillover"]),
            "local_hits": tuple(by_kind["local"]),
            "pattern_coverage": round(coverage, 6),
            "drawing_explained": round(explained, 6),
            "reasons": _reasons(h, hit, q, applied, log_prior.get(h.target_id, 0.0)),
        },
    )


def explain_tp(h: Hypothesis, score: float, q: Query) -> RankedTriggerPoint:
    hit = q.hits(h)
    by_kind, coverage, explained = _hits(h, q, hit)
    zones = h.zones
    return RankedTriggerPoint(
        tp_id=h.tps[0],
        muscle_id=h.target_id,
        muscle_name=h.target_name,
        label=h.labels[0],
        side=h.side,
        score=round(score, 6),
        pattern_coverage=round(coverage, 6),
        drawing_explained=round(explained, 6),
        essential_hits=tuple(by_kind["essential"]),
        spillover_hits=tuple(by_kind["spillover"]),
        local_hits=tuple(by_kind["local"]),
        unexplained=tuple(rid for rid in q.ids if rid not in zones),
        explained=hit,
    )


def findings_by_key(findings: tuple[Finding, ...], kb: KnowledgeBase) -> dict[tuple[str, Side], tuple[str, ...]]:
    out: dict[tuple[str, Side], tuple[str, ...]] = {}
    for f in findings:
        if f.muscle not in kb.muscles:
            raise ValidationFailed(f"finding names unknown muscle '{f.muscle}'")
        if (f.muscle, f.side) in out:
            raise ValidationFailed(
                f"findings for '{f.muscle}' ({f.side.value}) are given twice: give one entry per muscle and side"
            )
        out[(f.muscle, f.side)] = tuple(kind.value for kind in f.kinds)
    return out


def notes(drawing: PainDrawing) -> tuple[str, ...]:
    neural = sorted(r.region for r in drawing.regions if r.kind in _NEURAL_KINDS and r.intensity > 0)
    if not neural:
        return ()
    where = ", ".join(neural[:3]) + (f" and {len(neural) - 3} more" if len(neural) > 3 else "")
    return (
        f"Burning, numbness or pins and needles in {where}: consider neural causes (radiculopathy, "
        "entrapment) before attributing these areas to trigger points; nerve targets are ranked with them.",
    )
