"""The per-patient depth cap over the lung, from published depth strata.

For a lung-adjacent target the cap is the lower bound of the depth-study group that
matches the patient (mean minus ``SD_MULTIPLIER`` standard deviations, skin to rib or
skin to pleura) minus ``MARGIN_MM``. Where the target's own studies have no group that
fits (no study, no BMI, a sex the study did not measure), the cap comes from the most
conservative study of the chest wall that fits the patient (or, with nothing known,
the smallest lower bound of any group) and the plan says to measure with ultrasound.

A cap never rises as BMI falls: the cap for BMI ``b`` is the smallest raw cap found at
``b`` and at every group boundary above ``b``, so a heavier group with a wider spread
(Seol 2014's BMI 23-25 group, 24 +/- 9 mm) also limits lighter patients.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from filiform.core.kb.loader import KnowledgeBase
from filiform.core.kb.models import DepthStratum, DepthStudy, Target

from .intake import PatientBody

SD_MULTIPLIER = 2.0
"""Mean minus 2 SD: about 1 patient in 40 of a normal population measures less (statistics)."""
MARGIN_MM = 2.0
"""Taken off the lower bound for skin compressed by the guide tube and fingers (expert consensus)."""
CAP_MEASURES = frozenset({"skin_to_rib", "skin_to_pleura"})


@dataclass(frozen=True)
class DepthCap:
    """A depth cap and how it was reached (``measure_with_ultrasound`` when no group fitted)."""

    cap_mm: float
    basis: str
    measure_with_ultrasound: bool
    studies: tuple[str, ...]


def _lower(stratum: DepthStratum) -> float:
    return stratum.mean_mm - SD_MULTIPLIER * stratum.sd_mm


def _fits(stratum: DepthStratum, bmi: float | None, sex: str | None) -> bool:
    if stratum.sex is not None and stratum.sex != sex:
        return False
    if stratum.bmi_min is None and stratum.bmi_max is None:
        return True
    if bmi is None:
        return False
    return (stratum.bmi_min is None or bmi >= stratum.bmi_min) and (stratum.bmi_max is None or bmi < stratum.bmi_max)


def _describe(study: DepthStudy, stratum: DepthStratum) -> str:
    landmark = study.measures.replace("_", " ")
    return (
        f"{study.id} ({landmark}, {stratum.label}: {stratum.mean_mm:g} ± {stratum.sd_mm:g} mm; "
        f"mean - {SD_MULTIPLIER:g} SD = {_lower(stratum):g} mm)"
    )


def _best(studies: Iterable[DepthStudy], bmi: float | None, sex: str | None) -> tuple[float, str, str] | None:
    """The smallest lower bound among the groups that fit, with its description and study."""
    found = [(_lower(s), _describe(st, s), st.id) for st in studies for s in st.strata if _fits(s, bmi, sex)]
    return min(found) if found else None


def thorax_studies(kb: KnowledgeBase) -> list[DepthStudy]:
    """Every study with numeric groups measured to the rib or the pleura."""
    return [s for s in kb.depth.values() if s.measures in CAP_MEASURES and s.strata]


def _raw(own: Sequence[DepthStudy], every: Sequence[DepthStudy], bmi: float | None, sex: str | None) -> DepthCap:
    hit = _best(own, bmi, sex)
    if hit is not None:
        return DepthCap(hit[0], hit[1], False, (hit[2],))
    hit = _best(every, bmi, sex)
    if hit is not None:
        return DepthCap(
            hit[0],
            "no group of this target's own studies fits; most conservative fitting study: " + hit[1],
            True,
            (hit[2],),
        )
    low = min(((_lower(s), _describe(st, s), st.id) for st in every for s in st.strata), default=None)
    if low is None:
        return DepthCap(0.0, "no depth study with numbers: needle superficially only", True, ())
    return DepthCap(low[0], "BMI or sex unknown; smallest lower bound of any study: " + low[1], True, (low[2],))


def depth_cap(target: Target, body: PatientBody, kb: KnowledgeBase) -> DepthCap:
    """The insertion cap for a lung-adjacent target and this patient (see the module text)."""
    own = [
        s
        for sid in target.depth_data
        if (s := kb.depth.get(sid)) is not None and s.measures in CAP_MEASURES and s.strata
    ]
    every = thorax_studies(kb)
    bmi, sex = body.bmi_value, body.sex
    chosen = _raw(own, every, bmi, sex)
    if bmi is not None:
        bounds = {
            b for st in (*own, *every) for s in st.strata for b in (s.bmi_min, s.bmi_max) if b is not None and b > bmi
        }
        for b in sorted(bounds):
            heavier = _raw(own, every, b, sex)
            if heavier.cap_mm < chosen.cap_mm:
                chosen = DepthCap(
                    heavier.cap_mm,
                    chosen.basis
                    + f"; lowered to the cap for BMI {b:g} (a cap never rises as BMI falls): "
                    + heavier.basis,
                    chosen.measure_with_ultrasound or heavier.measure_with_ultrasound,
                    chosen.studies + heavier.studies,
                )
    cap = round(max(chosen.cap_mm - MARGIN_MM, 0.0), 1)
    basis = f"{chosen.basis}; minus {MARGIN_MM:g} mm margin = {cap:g} mm"
    return DepthCap(cap, basis, chosen.measure_with_ultrasound, tuple(dict.fromkeys(chosen.studies)))
