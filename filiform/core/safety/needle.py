"""Needle length, gauge and maximum safe depth for one target and one patient.

The rule from the sources: pick the shortest needle that reaches the target but cannot
reach the structure to avoid. Where published depth data exist for a target (its
``depth_data``), a conservative lower bound of the depth to the lung is computed for this
patient and caps the insertion; lung-adjacent targets are always flagged with the safe
technique, whether or not numbers exist.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from filiform.core.kb.loader import KnowledgeBase
from filiform.core.kb.models import DepthStudy, Target

from .intake import PatientBody

STANDARD_LENGTHS_MM = (13, 15, 25, 30, 40, 50, 60, 75, 90, 100, 125)
_LUNG_MEASURES = {"skin_to_pleura"}
_SAFE_TECHNIQUE = (
    "Lift the muscle in a pincer grip and needle tangentially, away from the chest wall; where it "
    "cannot be lifted, needle onto bone within a depth limit (palpating the rib is not failsafe). "
    "Consider superficial needling or ultrasound. Never both sides of the thorax in one session; "
    "warn the patient about chest pain, breathlessness or cough in the following hours or days."
)
_SAFE_CITATIONS = ("kalichman2010_dn_review", "irmedj2022_bilateral_pneumothorax")


class NeedleGuidance(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    target: str
    length_mm: int
    gauge_mm: float
    insertion_mm: tuple[float, float]
    max_safe_depth_mm: float | None = None
    depth_basis: str | None = None
    lung_adjacent: bool
    safe_technique: str | None = None
    notes: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()


def _lower_bound(study: DepthStudy, body: PatientBody) -> tuple[float, str] | None:
    """A conservative depth for this patient from one study, with how it was derived."""
    bmi = body.bmi_value
    if study.bmi_intercept_mm is not None and study.bmi_slope_mm is not None and bmi is not None:
        model = study.bmi_intercept_mm + study.bmi_slope_mm * bmi
        if study.sd_mm is not None:
            return model - 2 * study.sd_mm, f"{study.id}: BMI model {model:.0f} mm minus 2 SD"
        return model * 0.8, f"{study.id}: BMI model {model:.0f} mm less a 20% margin (Filiform convention)"
    mean = {"male": study.male_mean_mm, "female": study.female_mean_mm}.get(body.sex or "")
    mean = mean if mean is not None else study.mean_mm
    if mean is None:
        return None
    if study.sd_mm is not None:
        return mean - 2 * study.sd_mm, f"{study.id}: mean {mean:.0f} mm minus 2 SD"
    return mean * 0.8, f"{study.id}: mean {mean:.0f} mm less a 20% margin (Filiform convention)"


def _shortest_reaching(depth_mm: float) -> int:
    for length in STANDARD_LENGTHS_MM:
        if length >= depth_mm + 5:  # leave shaft outside the skin; never insert to the hub
            return length
    return STANDARD_LENGTHS_MM[-1]


def needle_guidance(target: Target, body: PatientBody, kb: KnowledgeBase) -> NeedleGuidance:
    """Suggested needle and, where data allow, the maximum safe depth for this patient."""
    approach = target.needling[0]
    lo, hi = approach.depth_mm.min_mm, approach.depth_mm.max_mm
    notes: list[str] = []
    cites: list[str] = list(approach.citations)
    bmi = body.bmi_value
    if bmi is not None and bmi >= 30 and not target.lung_adjacent:
        hi = min(hi * 1.25, 120.0)
        notes.append(
            "BMI 30 or more: subcutaneous tissue is thicker; depth range widened by 25% "
            "(Filiform convention) - confirm by palpation or ultrasound."
        )
    max_safe: float | None = None
    basis: str | None = None
    for study_id in target.depth_data:
        study = kb.depth.get(study_id)
        if study is None:
            continue
        cites.extend(study.citations)
        if study.notes:
            notes.append(f"{study.site}: {study.notes}")
        if study.measures in _LUNG_MEASURES:
            bound = _lower_bound(study, body)
            if bound is not None and (max_safe is None or bound[0] < max_safe):
                max_safe, basis = round(max(bound[0], 0.0), 1), bound[1]
    length = _shortest_reaching(hi)
    if max_safe is not None:
        hi = min(hi, max_safe)
        if hi < lo:
            notes.append(
                "The usual target depth exceeds the safe depth for this patient: use superficial "
                "needling or another target."
            )
            lo = hi
        fitting = [n for n in STANDARD_LENGTHS_MM if n <= max_safe]
        length = fitting[-1] if fitting and fitting[-1] >= lo else STANDARD_LENGTHS_MM[0]
        notes.append(f"Needle length chosen so that even full insertion stays within {max_safe:g} mm.")
    elif target.lung_adjacent:
        length = min(length, int(approach.needle.length_mm))
    if target.lung_adjacent:
        cites.extend(_SAFE_CITATIONS)
        for ref in target.danger:
            cites.extend(ref.citations)
    return NeedleGuidance(
        target=target.id,
        length_mm=length,
        gauge_mm=approach.needle.gauge_mm,
        insertion_mm=(round(lo, 1), round(hi, 1)),
        max_safe_depth_mm=max_safe,
        depth_basis=basis,
        lung_adjacent=target.lung_adjacent,
        safe_technique=(_SAFE_TECHNIQUE + " " + " ".join(d.rule for d in target.danger)).strip()
        if target.lung_adjacent
        else None,
        notes=tuple(notes),
        citations=tuple(dict.fromkeys(cites)),
    )
