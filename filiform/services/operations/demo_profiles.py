"""Clinically coherent building blocks for the demo clinic, computed once per process.

Why a separate module: the demo writes about twenty thousand rows a second, so nothing
that touches the knowledge base, the atlas or the outcome scorers may run per patient.
Here every (condition, muscle, trigger point) combination the shipped data supports is
turned into a :class:`Profile` with its pain-drawing zones already resolved to atlas ids
for both sides, the needle and depth range of the muscle's first approach, the techniques
the condition allows for that target, and a table of pre-scored answers (per severity
level 0-10) for NPRS and one condition-specific measure.  Per patient the demo then only
draws random numbers and indexes these tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from filiform.core.atlas.build import load_atlas
from filiform.core.concepts import Side, Technique
from filiform.core.kb.loader import load_kb
from filiform.core.kb.models import Muscle
from filiform.core.outcomes import get_instrument, score
from filiform.core.planning.diagnosis import candidates
from filiform.core.planning.loader import load_conditions

GENERIC_MEASURES = frozenset({"nprs", "pgic", "groc", "psfs"})  # not condition-specific
# Techniques whose demo insertions need nothing beyond a needle (EDN needs parameters).
DEMO_TECHNIQUES = frozenset({Technique.TRIGGER_POINT.value, Technique.SUPERFICIAL.value, Technique.STATIC.value}) & {
    t.value for t in Technique
}
LEVELS = 11  # severity 0 (none) .. 10 (worst)


@dataclass(frozen=True)
class Measure:
    """Answers and exact totals for one instrument at each severity level (0 = best)."""

    instrument_id: str
    answers: tuple[dict[str, Any], ...]
    totals: tuple[float, ...]


@dataclass(frozen=True)
class Profile:
    condition: str
    icd10: tuple[str, ...]
    muscle_id: str
    tp_id: str
    essential: dict[Side, tuple[str, ...]]
    spillover: dict[Side, tuple[str, ...]]
    techniques: tuple[str, ...]
    needle_lengths: tuple[float, ...]
    depth_mm: tuple[float, float]
    measure: Measure | None


def _answers_at(instrument_id: str, level: int) -> dict[str, Any] | None:
    """Every item answered at ``level``/10 of its range towards the worse end, or None."""
    inst = get_instrument(instrument_id)
    answers: dict[str, Any] = {}
    for item in inst.items:
        scale = inst.scales.get(item.scale)
        if scale is None:
            return None
        options = (
            sorted(scale.values)
            if scale.values
            else (list(range(scale.min, scale.max + 1)) if scale.min is not None and scale.max is not None else [])
        )
        if not options or scale.branches:
            return None
        better_high = scale.higher_is_better if scale.higher_is_better is not None else (inst.higher_is_better)
        worse = level / (LEVELS - 1)
        position = (1 - worse) if better_high else worse
        answers[item.id] = options[round(position * (len(options) - 1))]
    return answers


@cache
def measure(instrument_id: str) -> Measure | None:
    """Pre-scored answers for an instrument, or None if it cannot be filled in generically."""
    try:
        inst = get_instrument(instrument_id)
        if not inst.scorable or inst.kind != "score" or not inst.items:
            return None
        answers, totals = [], []
        for level in range(LEVELS):
            a = _answers_at(instrument_id, level)
            if a is None:
                return None
            total = score(instrument_id, a).total
            if total is None:
                return None
            answers.append(a)
            totals.append(float(total))
    except Exception:  # an instrument the generic filler does not fit is simply not used
        return None
    return Measure(instrument_id, tuple(answers), tuple(totals))


def _specific_measure(ids: Sequence[str]) -> Measure | None:
    for instrument_id in ids:
        if instrument_id not in GENERIC_MEASURES:
            found = measure(instrument_id)
            if found is not None:
                return found
    return None


@lru_cache(maxsize=1)
def profiles() -> tuple[Profile, ...]:
    """Every demo-usable (condition, muscle, trigger point), in a stable order."""
    kb, atlas = load_kb(), load_atlas()
    out: list[Profile] = []
    for condition in sorted(load_conditions().values(), key=lambda c: c.id):
        specific = _specific_measure(condition.outcome_measures)
        for target in condition.targets:
            muscle = kb.targets.get(target.target)
            techniques = tuple(sorted(t.value for t in target.techniques if t.value in DEMO_TECHNIQUES))
            if not isinstance(muscle, Muscle) or not techniques:
                continue
            approach = muscle.needling[0]
            low = approach.depth_mm.min_mm
            high = min(approach.depth_mm.max_mm, approach.needle.length_mm)
            lengths = tuple(sorted({approach.needle.length_mm}))
            for tp in muscle.trigger_points:
                zones = {
                    kind: {
                        side: tuple(r for r in (atlas.resolve(ref, side) for ref in refs) if r in atlas.regions)
                        for side in Side
                    }
                    for kind, refs in (("essential", tp.referral.essential), ("spillover", tp.referral.spillover))
                }
                if not all(zones["essential"].values()):
                    continue
                out.append(
                    Profile(
                        condition.name,
                        tuple(condition.icd10cm),
                        muscle.id,
                        tp.id,
                        zones["essential"],
                        zones["spillover"],
                        techniques,
                        lengths,
                        (low, max(low, high)),
                        specific,
                    )
                )
    if not out:
        raise RuntimeError("the knowledge base offers no muscle trigger point for the demo")
    return tuple(out)


@cache
def diagnosis_for(condition: str, codes: tuple[str, ...], side: str) -> str | None:
    """The candidate code a clinician would choose for this side (None when none fits).

    The demo chooses like a careful clinician: the code of the needled side, else one
    that has no side; never an unspecified side when the side is known.
    """
    offered = candidates(condition, list(codes))
    for wanted in (side, "not_applicable"):
        found = next((e.code for e in offered if e.laterality == wanted), None)
        if found:
            return found
    return None


_COMPANIONS: dict[str, tuple[Profile, ...]] = {}


def companions(profile: Profile, choices: Sequence[Profile]) -> tuple[Profile, ...]:
    """Other muscles the same condition treats (so some sessions needle three or more)."""
    if not _COMPANIONS:
        for p in choices:
            _COMPANIONS.setdefault(p.condition, ())
            if all(q.muscle_id != p.muscle_id for q in _COMPANIONS[p.condition]):
                _COMPANIONS[p.condition] += (p,)
    return tuple(p for p in _COMPANIONS.get(profile.condition, ()) if p.muscle_id != profile.muscle_id)
