"""Rank trigger points whose referral patterns explain a pain drawing.

The score is a log-likelihood ratio (natural log) of the drawing under "this trigger point
refers pain" against a background model in which any region is painted at a low base rate.
Each region of a pattern is an independent Bernoulli observation:

* painted with probability ``P_ESSENTIAL`` in an essential zone, ``P_SPILLOVER`` in a
  spillover zone, ``P_LOCAL`` over the muscle itself, and ``P_BACKGROUND`` elsewhere;
* a painted region adds ``log(p / P_BACKGROUND)`` scaled by its intensity, an unpainted one
  adds ``log((1 - p) / (1 - P_BACKGROUND))`` (negative), so a large pattern that is mostly
  unpainted is penalised (precision) and every painted zone it contains helps (coverage).

Regions outside a pattern contribute the same to every hypothesis and drop out. Priors
(e.g. from the condition) and exam findings add log-odds. See docs/matching.md for the
derivation, the constants and where the method fails.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from filiform.core.atlas.build import load_atlas
from filiform.core.atlas.model import Atlas
from filiform.core.concepts import Finding, PainDrawing, Side, validate_regions
from filiform.core.kb.loader import KnowledgeBase, load_kb
from filiform.errors import ValidationFailed

from .cover import greedy_cover
from .models import MatchResult, RankedMuscle, RankedTriggerPoint

P_ESSENTIAL = 0.8
P_SPILLOVER = 0.4
P_LOCAL = 0.5
P_BACKGROUND = 0.02

# Log-odds added per positive exam finding. Expert-set and deliberately modest: manual
# trigger-point palpation has poor inter-examiner reliability, so findings nudge, not decide.
FINDING_WEIGHTS: dict[str, float] = {
    "recognised_pain": 1.0,
    "twitch_response": 0.7,
    "spot_tenderness": 0.5,
    "taut_band": 0.5,
    "weakness": 0.2,
    "restricted_range": 0.2,
}

_ZONE_P = {"essential": P_ESSENTIAL, "spillover": P_SPILLOVER, "local": P_LOCAL}
_NEURAL_QUALITIES = {"burning", "numbness_tingling"}
COVER_POOL = 25  # the set cover chooses among this many best-scored candidates


def _painted_gain(p: float, intensity: int) -> float:
    """Evidence from a painted region; faint pain (intensity 1) counts for half of severe."""
    scale = 0.5 + 0.5 * intensity / 10
    return math.log(p / P_BACKGROUND) * scale


def _unpainted_cost(p: float) -> float:
    return math.log((1 - p) / (1 - P_BACKGROUND))


# Score change when a zone region goes from unpainted to painted at each intensity 0-10.
_DELTA = {kind: tuple(_painted_gain(p, i) - _unpainted_cost(p) for i in range(11)) for kind, p in _ZONE_P.items()}


@dataclass(frozen=True)
class _Candidate:
    tp_id: str
    muscle_id: str
    muscle_name: str
    label: str
    side: Side
    zones: Mapping[str, str]  # region id -> zone kind (essential beats spillover beats local)
    base: float  # score with nothing painted
    weight_total: float  # sum of zone probabilities, for pattern coverage
    key: tuple[str, str]  # deterministic tie-break: trigger point id, then side


class MatchEngine:
    """Pre-indexes every trigger point on both sides so a query touches only hit zones."""

    def __init__(self, kb: KnowledgeBase, atlas: Atlas) -> None:
        self.kb = kb
        self.atlas = atlas
        self.candidates: list[_Candidate] = []
        self.index: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for muscle, tp in kb.trigger_points():
            for side in Side:
                zones: dict[str, str] = {}
                for kind, refs in (
                    ("local", muscle.regions),
                    ("spillover", tp.referral.spillover),
                    ("essential", tp.referral.essential),
                ):
                    for ref in refs:
                        zones[atlas.resolve(ref, side)] = kind  # later kinds win
                base = sum(_unpainted_cost(_ZONE_P[k]) for k in zones.values())
                cand = _Candidate(
                    tp.id,
                    muscle.id,
                    muscle.name,
                    tp.label,
                    side,
                    zones,
                    base,
                    sum(_ZONE_P[k] for k in zones.values()),
                    (tp.id, side.value),
                )
                pos = len(self.candidates)
                self.candidates.append(cand)
                for rid, kind in zones.items():
                    self.index[rid].append((pos, kind))

    def match(
        self, drawing: PainDrawing, *, priors: Mapping[str, float] | None = None, limit: int | None = 20
    ) -> MatchResult:
        """Score every touched trigger point; explain only the ones that are returned.

        Scoring is a sum over the candidates each painted region touches (inverted index),
        so cost grows with the drawing and the density of patterns, not with the base size.
        """
        painted = _validated_regions(drawing, self.atlas)
        scores: dict[int, float] = {}
        candidates = self.candidates
        for rid, intensity in painted.items():
            for pos, kind in self.index.get(rid, ()):
                if pos not in scores:
                    scores[pos] = candidates[pos].base
                scores[pos] += _DELTA[kind][intensity]
        finding_map = _findings_by_key(drawing.findings, self.kb)
        priors = priors or {}
        for bad in (m for m, v in priors.items() if not float(v) > 0):
            raise ValidationFailed(f"prior for '{bad}' must be positive")
        log_prior = {m: math.log(float(v)) for m, v in priors.items()}
        boost = {key: sum(FINDING_WEIGHTS[f] for f in kinds) for key, kinds in finding_map.items()}
        for pos, value in scores.items():
            if log_prior or boost:
                cand = candidates[pos]
                value += log_prior.get(cand.muscle_id, 0.0) + boost.get((cand.muscle_id, cand.side), 0.0)
            scores[pos] = round(value, 9)  # ties compare equal whatever the summation order
        order = sorted(scores, key=lambda pos: (-scores[pos], candidates[pos].key))
        # the best trigger point of each muscle and side, in rank order
        seen: set[tuple[str, Side]] = set()
        muscle_positions = []
        for pos in order:
            key = (self.candidates[pos].muscle_id, self.candidates[pos].side)
            if key not in seen:
                seen.add(key)
                muscle_positions.append(pos)
        keep = _with_ties(order, scores, limit)
        muscle_keep = _with_ties(muscle_positions, scores, limit)
        wanted = set(keep) | set(order[:COVER_POOL]) | set(muscle_keep)
        total_intensity = sum(painted.values()) or 1
        explained = {
            pos: self._explain(
                self.candidates[pos],
                scores[pos],
                painted,
                total_intensity,
                finding_map.get((self.candidates[pos].muscle_id, self.candidates[pos].side), ()),
                float(priors.get(self.candidates[pos].muscle_id, 1.0)),
            )
            for pos in wanted
        }
        covered = {rid for rid in painted if rid in self.index}
        muscles = [
            RankedMuscle(r.muscle_id, r.muscle_name, r.side, r.score, r.tp_id, r.explained)
            for r in (explained[pos] for pos in muscle_keep)
        ]
        return MatchResult(
            ranked=[explained[pos] for pos in keep],
            muscles=muscles,
            cover=greedy_cover([explained[pos] for pos in order[:COVER_POOL]], painted),
            unexplained_by_any=tuple(sorted(set(painted) - covered)),
            notes=_notes(drawing),
        )

    def _explain(
        self,
        cand: _Candidate,
        score: float,
        painted: Mapping[str, int],
        total_intensity: int,
        applied: tuple[str, ...],
        prior: float,
    ) -> RankedTriggerPoint:
        hit = [rid for rid in painted if rid in cand.zones]
        by_kind: dict[str, list[str]] = {"essential": [], "spillover": [], "local": []}
        for rid in hit:
            by_kind[cand.zones[rid]].append(rid)
        covered_weight = sum(_ZONE_P[cand.zones[r]] for r in hit)
        return RankedTriggerPoint(
            tp_id=cand.tp_id,
            muscle_id=cand.muscle_id,
            muscle_name=cand.muscle_name,
            label=cand.label,
            side=cand.side,
            score=round(score, 6),
            pattern_coverage=round(covered_weight / cand.weight_total, 6),
            drawing_explained=round(sum(painted[r] for r in hit) / total_intensity, 6),
            essential_hits=tuple(sorted(by_kind["essential"])),
            spillover_hits=tuple(sorted(by_kind["spillover"])),
            local_hits=tuple(sorted(by_kind["local"])),
            explained=tuple(sorted(hit)),
            unexplained=tuple(sorted(set(painted) - set(hit))),
            findings_applied=applied,
            prior=prior,
        )


def _with_ties(order: list[int], scores: Mapping[int, float], limit: int | None) -> list[int]:
    """The first ``limit`` positions, plus any that tie with the last one kept.

    Why: left and right copies of a pattern often tie; cutting between them would make the
    result depend on the tie-break (side name) and a mirrored drawing would not give the
    mirrored answer.
    """
    if not limit or len(order) <= limit:
        return list(order)
    last = scores[order[limit - 1]]
    end = limit
    while end < len(order) and scores[order[end]] == last:
        end += 1
    return order[:end]


def _validated_regions(drawing: PainDrawing, atlas: Atlas) -> dict[str, int]:
    """Painted region -> intensity, by the one region validator (:func:`validate_regions`)."""
    return {r.region: r.intensity for r in validate_regions(drawing.regions, atlas.regions)}


def _findings_by_key(findings: tuple[Finding, ...], kb: KnowledgeBase) -> dict[tuple[str, Side], tuple[str, ...]]:
    out: dict[tuple[str, Side], tuple[str, ...]] = {}
    for f in findings:
        if f.muscle not in kb.muscles:
            raise ValidationFailed(f"finding names unknown muscle '{f.muscle}'")
        if (f.muscle, f.side) in out:
            raise ValidationFailed(
                f"findings for '{f.muscle}' ({f.side.value}) are given twice: give one entry per muscle and side"
            )
        out[(f.muscle, f.side)] = tuple(name for name in FINDING_WEIGHTS if getattr(f, name))
    return out


def _notes(drawing: PainDrawing) -> tuple[str, ...]:
    neural = sorted(r.region for r in drawing.regions if r.quality in _NEURAL_QUALITIES and r.intensity > 0)
    if not neural:
        return ()
    return (
        "Burning or numbness/tingling in " + ", ".join(neural) + ": consider neural causes "
        "(radiculopathy, entrapment) before attributing these areas to trigger points.",
    )


@lru_cache(maxsize=1)
def default_engine() -> MatchEngine:
    return MatchEngine(load_kb(), load_atlas())


def match(drawing: PainDrawing, *, priors: Mapping[str, float] | None = None, limit: int | None = 20) -> MatchResult:
    """Rank trigger points of the shipped knowledge base against ``drawing``.

    >>> from filiform.core.concepts import DrawnRegion, PainDrawing
    >>> ranked = match(PainDrawing(regions=(DrawnRegion(region="right-temple", intensity=7),)), limit=3)
    >>> ranked.muscles[0].muscle_id, ranked.muscles[0].side.value
    ('temporalis', 'right')
    """
    return default_engine().match(drawing, priors=priors, limit=limit)
