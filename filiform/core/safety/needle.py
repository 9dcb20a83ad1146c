"""Needle length, gauge and maximum safe depth for one target and one patient.

The rule from the sources: pick the shortest needle that reaches the planned depth, with
shaft left outside the skin (never inserted to the hub), and never plan an insertion
beyond the structure to avoid. For every lung-adjacent target the insertion is capped by
a per-patient depth over the lung (``depth.depth_cap``), and the safe techniques are
listed in order: pincer grip and tangential direction first, superficial needling next,
needling onto a rib fixed between two fingers last, with its evidence.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from filiform.core.kb.loader import KnowledgeBase
from filiform.core.kb.models import Target

from .depth import depth_cap
from .intake import PatientBody

STANDARD_LENGTHS_MM = (13, 15, 25, 30, 40, 50, 60, 75, 90, 100, 125)
SHAFT_RESERVE_MM = 5.0
"""Shaft left outside the skin at full planned depth (never insert to the hub; expert consensus)."""
OBESE_WIDENING = 1.25
_SAFE_TECHNIQUE = (
    "1. Lift the muscle in a pincer grip and needle tangentially, parallel to the chest wall and away "
    "from it. 2. Where it cannot be lifted, consider superficial dry needling, or measure skin-to-rib "
    "depth with ultrasound first. 3. Last resort: needle onto a rib fixed between two fingers, within "
    "the depth limit; palpation found the rib only about two times in three in an ultrasound check, and a "
    "pneumothorax followed exactly this technique. Never both sides of the thorax in one session; warn the "
    "patient about chest pain, breathlessness or cough in the following hours or days."
)
_SAFE_CITATIONS = (
    "kalichman2010_dn_review",
    "musclenerve2018_rhomboid_rib",
    "mintken2025_pneumothorax_bracketing",
    "irmedj2022_bilateral_pneumothorax",
)


class NeedleGuidance(BaseModel):
    """Plan JSON keeps ``insertion_mm``, ``max_safe_depth_mm`` and ``depth_basis`` (stable names)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    target: str
    length_mm: int
    gauge_mm: float
    insertion_mm: tuple[float, float]
    max_safe_depth_mm: float | None = None
    depth_basis: str | None = None
    measure_with_ultrasound: bool = False
    lung_adjacent: bool
    safe_technique: str | None = None
    notes: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()


def shortest_reaching(depth_mm: float) -> int:
    """The shortest standard needle that reaches ``depth_mm`` with the shaft reserve left out."""
    for length in STANDARD_LENGTHS_MM:
        if length >= depth_mm + SHAFT_RESERVE_MM:
            return length
    return STANDARD_LENGTHS_MM[-1]


def needle_guidance(target: Target, body: PatientBody, kb: KnowledgeBase) -> NeedleGuidance:
    """Suggested needle, planned insertion range and, over the lung, the cap for this patient."""
    approach = target.needling[0]
    lo, hi = approach.depth_mm.min_mm, approach.depth_mm.max_mm
    notes: list[str] = []
    cites: list[str] = list(approach.citations)
    bmi = body.bmi_value
    if bmi is not None and bmi >= 30 and not target.lung_adjacent:
        hi = min(hi * OBESE_WIDENING, 120.0)
        notes.append(
            "BMI 30 or more: subcutaneous tissue is thicker; depth range widened by 25% "
            "(expert consensus) - confirm by palpation or ultrasound."
        )
    for study_id in target.depth_data:
        study = kb.depth.get(study_id)
        if study is not None:
            cites.extend(study.citations)
            if study.notes:
                notes.append(f"{study.site}: {study.notes}")
    cap = basis = None
    measure = False
    if target.lung_adjacent:
        found = depth_cap(target, body, kb)
        cap, basis, measure = found.cap_mm, found.basis, found.measure_with_ultrasound
        cites.extend(c for sid in found.studies for c in kb.depth[sid].citations)
        if hi > cap:
            hi = cap
            if lo > cap:
                lo = cap
                notes.append(
                    "The usual depth of this target lies beyond the safe depth for this patient: needle "
                    "superficially, choose another target, or measure skin-to-rib depth with ultrasound."
                )
        if measure:
            notes.append("No depth group matches this patient for this target: measure the depth with ultrasound.")
        cites.extend(_SAFE_CITATIONS)
        for ref in target.danger:
            cites.extend(ref.citations)
    length = shortest_reaching(hi)
    if cap is not None and length > cap:
        notes.append(f"Stop at {hi:g} mm: the shortest needle ({length} mm) is longer than the safe depth.")
    return NeedleGuidance(
        target=target.id,
        length_mm=length,
        gauge_mm=approach.needle.gauge_mm,
        insertion_mm=(round(lo, 1), round(hi, 1)),
        max_safe_depth_mm=cap,
        depth_basis=basis,
        measure_with_ultrasound=measure,
        lung_adjacent=target.lung_adjacent,
        safe_technique=_SAFE_TECHNIQUE if target.lung_adjacent else None,
        notes=tuple(notes),
        citations=tuple(dict.fromkeys(cites)),
    )
