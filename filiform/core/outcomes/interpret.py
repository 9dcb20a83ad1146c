"""Change from baseline, judged against the instrument's published MCID and MDC.

Direction matters: for the NDI a fall is an improvement, for the LEFS a rise is. Every
value here is therefore also given as *improvement* (positive = better for the patient).

``percent_improvement`` is the improvement as a share of the room the patient had to
improve at baseline: for a lower-is-better score with 0 as best this is the familiar
``(baseline - current) / baseline x 100`` used by the 30 % thresholds (Farrar 2001,
Ostelo 2008); for a higher-is-better score it is ``(current - baseline) / (max - baseline)``.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from filiform.core.outcomes.models import Instrument, Threshold
from filiform.core.outcomes.registry import get_citation, get_instrument
from filiform.errors import ValidationFailed

EPSILON = 1e-9


def shown(value: float) -> str:
    """A score as people read it: at most two decimals, no trailing zeros (83.33, 26, 1.04)."""
    return f"{round(value, 2):g}"


class Classification(StrEnum):
    IMPROVED = "improved"  # better by at least the MCID
    UNCHANGED = "unchanged"  # less than the MCID either way
    WORSENED = "worsened"  # worse by at least the MCID
    UNCLASSIFIED = "unclassified"  # no MCID is established for this scale


class ChangeInterpretation(BaseModel):
    """Baseline versus one later score of the same instrument and scale."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument_id: str
    scale: str
    baseline: float
    current: float
    change: float
    improvement: float
    percent_improvement: float | None
    higher_is_better: bool
    mcid: float | None
    mcid_citation: str | None
    mcid_reached: bool | None
    percent_mcid: float | None
    percent_mcid_reached: bool | None
    mdc: float | None
    beyond_mdc: bool | None
    classification: Classification
    responder: bool
    explanation: str


def _resolve(instrument: Instrument | str) -> Instrument:
    return instrument if isinstance(instrument, Instrument) else get_instrument(instrument)


def check_value(instrument: Instrument, scale: str, value: float, what: str) -> None:
    if scale not in instrument.scale_ids():
        raise ValidationFailed(
            f"{instrument.short_name} has no scale {scale!r}",
            details=[f"scales: {', '.join(instrument.scale_ids())}"],
        )
    low, high = instrument.scale_range(scale)
    if not low - EPSILON <= value <= high + EPSILON:
        raise ValidationFailed(
            f"{instrument.short_name} {scale} {what} {value:g} is outside the range {low:g}-{high:g}"
        )


def interpret_change(
    instrument: Instrument | str,
    baseline: float,
    current: float,
    *,
    scale: str = "total",
    mcid: float | None = None,
) -> ChangeInterpretation:
    """Interpret ``current`` against ``baseline`` on ``scale`` (``total`` or a subscale id).

    ``mcid`` overrides the instrument's primary MCID for this call (e.g. a value a clinic
    prefers for its population). Raises ValidationFailed for values outside the scale's
    range and for global-change anchors (PGIC, GROC), which have no baseline.
    """
    inst = _resolve(instrument)
    if inst.kind == "transition":
        raise ValidationFailed(
            f"{inst.short_name} already rates change; read its responder flag instead of comparing it with a baseline"
        )
    check_value(inst, scale, baseline, "baseline")
    check_value(inst, scale, current, "score")
    low, high = inst.scale_range(scale)
    best = high if inst.higher_is_better else low
    change = current - baseline
    improvement = change if inst.higher_is_better else -change
    room = abs(best - baseline)
    percent = improvement / room * 100 if room > EPSILON else None

    threshold = _threshold(inst, scale, mcid)
    mcid_value = threshold.value if threshold else None
    mcid_reached = None if mcid_value is None else improvement >= mcid_value - EPSILON
    pct = inst.percent_mcid(scale)
    pct_reached = None
    if pct is not None and percent is not None:
        pct_reached = percent >= pct.value - EPSILON
    mdc = inst.primary_mdc(scale)
    beyond_mdc = None if mdc is None else abs(change) >= mdc.value - EPSILON

    if mcid_value is None:
        classification = Classification.UNCLASSIFIED
    elif improvement >= mcid_value - EPSILON:
        classification = Classification.IMPROVED
    elif -improvement >= mcid_value - EPSILON:
        classification = Classification.WORSENED
    else:
        classification = Classification.UNCHANGED

    interpretation = ChangeInterpretation(
        instrument_id=inst.id,
        scale=scale,
        baseline=baseline,
        current=current,
        change=round(change, 4),
        improvement=round(improvement, 4),
        percent_improvement=None if percent is None else round(percent, 2),
        higher_is_better=inst.higher_is_better,
        mcid=mcid_value,
        mcid_citation=threshold.citation if threshold else None,
        mcid_reached=mcid_reached,
        percent_mcid=pct.value if pct else None,
        percent_mcid_reached=pct_reached,
        mdc=mdc.value if mdc else None,
        beyond_mdc=beyond_mdc,
        classification=classification,
        responder=classification is Classification.IMPROVED,
        explanation="",
    )
    return interpretation.model_copy(update={"explanation": _explain(inst, interpretation)})


def _threshold(inst: Instrument, scale: str, override: float | None) -> Threshold | None:
    if override is not None:
        if override <= 0:
            raise ValidationFailed(f"an MCID must be positive, not {override:g}")
        return Threshold(value=override, scale=scale, citation="clinic")
    return inst.primary_mcid(scale)


def _explain(inst: Instrument, i: ChangeInterpretation) -> str:
    name = inst.short_name if i.scale == "total" else f"{inst.short_name} {i.scale}"
    unit = "" if inst.unit in ("points", "mean item score") else f" {inst.unit}"
    moved = "rose" if i.change > 0 else "fell" if i.change < 0 else "stayed"
    if i.change:
        where = f"from {shown(i.baseline)}{unit} to {shown(i.current)}{unit}"
    else:
        where = f"at {shown(i.current)}{unit}"
    better = "better" if i.improvement >= 0 else "worse"
    points = "percentage points" if inst.unit == "%" else "points"
    parts = [f"{name} {moved} {where} ({shown(abs(i.improvement))} {points} {better})."]
    if i.mcid is None:
        parts.append("No MCID is established for this scale, so no responder call is made.")
    else:
        source = "set by the clinic" if i.mcid_citation == "clinic" else _cite(i.mcid_citation)
        verdict = "reached" if i.mcid_reached else "not reached"
        parts.append(f"The MCID of {shown(i.mcid)} ({source}) was {verdict}: {i.classification}.")
    if i.percent_mcid is not None and i.percent_improvement is not None:
        verdict = "reached" if i.percent_mcid_reached else "not reached"
        parts.append(
            f"Relative improvement {shown(i.percent_improvement)} % ({shown(i.percent_mcid)} % threshold {verdict})."
        )
    if i.mdc is not None and not i.beyond_mdc:
        parts.append(f"The change is within the measurement error (MDC {shown(i.mdc)}).")
    return " ".join(parts)


def _cite(citation_id: str | None) -> str:
    return "no source" if citation_id is None else get_citation(citation_id).short
