"""What a clinician can check: which painted regions a target explains, and why it moved.

Built only for the rows that are shown (and the short list the set cover works on), never
for every hypothesis scored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from filiform.core.concepts import Side
from filiform.core.kb.loader import KnowledgeBase
from filiform.errors import ValidationFailed

from .index import CLASS_NAMES, NEURAL, P_ZONE, Hypothesis
from .models import Finding, PainDrawing, RankedMuscle, RankedTriggerPoint

_NEURAL_KINDS = {"burning", "numbness", "pins_and_needles"}
_FINDINGS = ("recognised_pain", "twitch_response", "spot_tenderness", "taut_band", "weakness", "restricted_range")


@dataclass(frozen=True)
class Painted:
    intensity: int
    kind: str
    depth: str | None
    coverage: float


def _hits(
    h: Hypothesis, painted: Mapping[str, Painted], total: float
) -> tuple[dict[str, list[str]], list[str], float, float]:
    by_kind: dict[str, list[str]] = {"essential": [], "spillover": [], "local": []}
    zones = h.zones
    hit = sorted(rid for rid in painted if rid in zones)
    covered = explained = 0.0
    for rid in hit:
        kind = zones[rid]
        by_kind[kind].append(rid)
        covered += P_ZONE[kind]
        explained += painted[rid].intensity * painted[rid].coverage
    return by_kind, hit, covered / h.weight_total if h.weight_total else 0.0, explained / total


def _reasons(
    h: Hypothesis, hit: list[str], painted: Mapping[str, Painted], applied: tuple[str, ...], prior: float
) -> tuple[str, ...]:
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
    painted: Mapping[str, Painted],
    total: float,
    findings: Mapping[tuple[str, Side], tuple[str, ...]],
    log_prior: Mapping[str, float],
) -> RankedMuscle:
    by_kind, hit, coverage, explained = _hits(h, painted, total)
    applied = findings.get((h.target_id, h.side), ())
    return RankedMuscle(
        muscle_id=h.target_id,
        muscle_name=h.target_name,
        side=h.side,
        score=round(score, 6),
        best_tp=h.tps[0] if h.tps else h.target_id,
        explained=tuple(hit),
        tps=h.tps,
        rank=rank,
        kind=h.kind,
        unexplained=tuple(sorted(set(painted).difference(hit))),
        essential_hits=tuple(by_kind["essential"]),
        spillover_hits=tuple(by_kind["spillover"]),
        local_hits=tuple(by_kind["local"]),
        pattern_coverage=round(coverage, 6),
        drawing_explained=round(explained, 6),
        reasons=_reasons(h, hit, painted, applied, log_prior.get(h.target_id, 0.0)),
    )


def explain_tp(h: Hypothesis, score: float, painted: Mapping[str, Painted], total: float) -> RankedTriggerPoint:
    by_kind, hit, coverage, explained = _hits(h, painted, total)
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
        unexplained=tuple(sorted(set(painted).difference(hit))),
        explained=tuple(hit),
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
        out[(f.muscle, f.side)] = tuple(name for name in _FINDINGS if getattr(f, name))
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
