"""What a clinician can check: which painted regions a target explains, and why it moved.

Built only for the rows that are shown (and the short list the set cover works on), never
for every hypothesis scored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from functools import lru_cache
from itertools import compress
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from filiform.core.concepts import Side
from filiform.core.kb.loader import KnowledgeBase
from filiform.errors import ValidationFailed

from .index import CLASS_NAMES, NEURAL, P_ZONE, Hypothesis, MatchIndex
from .models import DrawnRegion, Finding, PainDrawing, RankedMuscle, RankedTriggerPoint

_NEURAL_KINDS = {"burning", "numbness", "pins_and_needles"}


T = TypeVar("T")


@lru_cache(maxsize=16384, typed=True)
def _round6(value: float) -> float:
    """``round(value, 6)``, remembered: a correctly rounded ``round`` costs about half a
    microsecond, two per ranked row, and the same shares recur from query to query."""
    return round(value, 6)


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


# A painted region as the matcher reads it: the validated region itself, or a Painted.
Region = Painted | DrawnRegion


@dataclass(frozen=True)
class Query:
    """What every explanation of one drawing shares, worked out once per query."""

    painted: Mapping[str, Region]
    ids: tuple[str, ...]  # painted region ids, sorted
    total: float  # painted intensity times coverage, summed (1 when nothing is painted)
    plain: bool  # every painted region is an ache of unstated depth: no kind or depth reasons
    share: Mapping[str, float]  # each painted region's intensity times coverage
    weight: Mapping[str, float]  # each painted region's intensity (the set cover's weight)
    columns: npt.NDArray[np.intp]  # each of ``ids``'s column in MatchIndex.codes
    intensity: npt.NDArray[np.float64]  # each of ``ids``'s intensity

    @classmethod
    def of(cls, painted: Mapping[str, Region], column: Mapping[str, int]) -> Query:
        """The query's shared values; ``column`` is MatchIndex.code_column."""
        share: dict[str, float] = {}
        weight: dict[str, float] = {}
        plain = True
        for rid, p in painted.items():
            share[rid] = p.intensity * p.coverage
            weight[rid] = float(p.intensity)
            plain = plain and p.kind == "ache" and p.depth is None
        total = sum(share.values()) or 1.0
        ids = tuple(sorted(painted))
        other = len(column)  # the codes table's all-zero column
        columns = np.array([column.get(rid, other) for rid in ids], dtype=np.intp)
        intensity = np.array([weight[rid] for rid in ids], dtype=np.float64)
        return cls(painted, ids, total, plain, share, weight, columns, intensity)

    def hits(self, h: Hypothesis) -> tuple[str, ...]:
        """The painted regions inside the hypothesis's zones, sorted."""
        return tuple(filter(h.zones.__contains__, self.ids))

    def split(
        self, index: MatchIndex, rows: list[int]
    ) -> tuple[list[tuple[str, ...]], list[tuple[str, ...]], list[float]]:
        """For each of ``rows``: the painted regions inside its zones and those outside, sorted
        (:meth:`hits` and its complement for many rows, from one lookup in ``index.codes``),
        and the intensity inside, summed (the set cover's first value of each)."""
        inside = index.codes.take(rows, axis=0).take(self.columns, axis=1) != 0
        ids = self.ids
        return (
            [tuple(compress(ids, m)) for m in inside.tolist()],
            [tuple(compress(ids, m)) for m in (~inside).tolist()],
            (inside @ self.intensity).tolist(),
        )


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


@dataclass(frozen=True)
class ShortList:
    """The best targets of one query, best first: each one's best hypothesis (row), score,
    shared rank, and the painted regions it explains and does not (:meth:`Query.split`)."""

    rows: list[int]
    scores: list[float]
    ranks: list[int]
    hits: list[tuple[str, ...]]
    outside: list[tuple[str, ...]]
    gains: list[float]  # intensity explained, summed


def explain_rows(
    index: MatchIndex,
    short: ShortList,
    which: Iterable[int],
    q: Query,
    findings: Mapping[tuple[str, Side], tuple[str, ...]],
    log_prior: Mapping[str, float],
) -> list[RankedMuscle]:
    """A ranked row for each short-list position in ``which``.

    Why this shape: a query builds up to 20 of these, the largest Python cost left in it, so
    the fields that depend on the hypothesis alone come ready-made (``index.constants``),
    the explained and unexplained regions come with the short list, the two shares are
    rounded through a cache, and each row is one loop over the few regions it hits.
    """
    hyps, constants, share, total, plain = index.hyps, index.constants, q.share, q.total, q.plain
    rows, scores, ranks, hits, outside = short.rows, short.scores, short.ranks, short.hits, short.outside
    out: list[RankedMuscle] = []
    new, setattr_ = object.__new__, object.__setattr__
    for i in which:
        row, hit = rows[i], hits[i]
        h = hyps[row]
        zones = h.zones
        essential: list[str] = []
        spillover: list[str] = []
        local: list[str] = []
        covered = explained = 0.0
        for rid in hit:
            zone = zones[rid]
            (essential if zone == "essential" else spillover if zone == "spillover" else local).append(rid)
            covered += P_ZONE[zone]
            explained += share[rid]
        applied = findings.get((h.target_id, h.side), ()) if findings else ()
        prior = log_prior.get(h.target_id, 0.0) if log_prior else 0.0
        muscle_id, name, side, best_tp, tps, kind = constants[row]
        # _reasons's own first test, without the call for the common plain row
        quiet = plain and len(tps) < 2 and not applied and prior == 0
        values = {
            "muscle_id": muscle_id,
            "muscle_name": name,
            "side": side,
            "best_tp": best_tp,
            "tps": tps,
            "kind": kind,
            "score": scores[i],  # already rounded to the tie precision by the engine
            "explained": hit,
            "rank": ranks[i],
            "unexplained": outside[i],
            "essential_hits": tuple(essential),
            "spillover_hits": tuple(spillover),
            "local_hits": tuple(local),
            "pattern_coverage": _round6(covered / h.weight_total if h.weight_total else 0.0),
            "drawing_explained": _round6(explained / total),
            # _reasons's own first test, without the call for the common plain row
            "reasons": () if quiet else _reasons(h, hit, q, applied, prior),
        }
        if out:  # the same keys as the first row, checked by _built: the dictionary becomes the row's
            row_obj = new(RankedMuscle)
            setattr_(row_obj, "__dict__", values)
            out.append(row_obj)
        else:
            out.append(_built(RankedMuscle, values))
    return out


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
