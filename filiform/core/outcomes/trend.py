"""A patient's scores on one instrument across sessions, summarised.

The first dated score is the baseline. The summary gives the latest change against the
MCID (see :mod:`filiform.core.outcomes.interpret`), the least-squares slope per week, when
the MCID was first reached and whether it has held since.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from filiform.core.outcomes.interpret import (
    ChangeInterpretation,
    _resolve,
    check_value,
    interpret_change,
    shown,
)
from filiform.core.outcomes.models import Instrument
from filiform.errors import ValidationFailed

Trajectory = Literal["improving", "worsening", "stable", "single_score"]


class DatedScore(BaseModel):
    """One score on one day (several on the same day keep their given order)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    when: date
    value: float
    label: str | None = None
    source: Literal["clinic", "home"] = "clinic"  # home: answered by the patient through their link


class TrendSummary(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument_id: str
    scale: str
    sessions: int
    first_date: date
    last_date: date
    baseline: float
    latest: float
    best: float
    worst: float
    higher_is_better: bool
    latest_change: ChangeInterpretation | None
    slope_per_week: float | None
    improvement_per_week: float | None
    trajectory: Trajectory
    trajectory_basis: str
    first_mcid_date: date | None
    mcid_sustained: bool | None
    responders: int | None  # transition anchors: how many administrations were responders
    summary: str


def summarise_trend(
    instrument: Instrument | str,
    scores: Sequence[DatedScore],
    *,
    scale: str = "total",
    mcid: float | None = None,
) -> TrendSummary:
    """Summarise ``scores`` (any order; sorted by date, ties keep their order)."""
    inst = _resolve(instrument)
    if not scores:
        raise ValidationFailed(f"{inst.short_name}: no scores to summarise")
    for point in scores:
        check_value(inst, scale, point.value, f"score on {point.when}")
    ordered = sorted(scores, key=lambda p: p.when)
    values = [p.value for p in ordered]
    sign = 1 if inst.higher_is_better else -1
    best = max(values, key=lambda v: sign * v)
    worst = min(values, key=lambda v: sign * v)
    slope = _slope(ordered)
    improvement_slope = None if slope is None else round(sign * slope, 4)

    if inst.kind == "transition":
        return _transition_summary(inst, scale, ordered, best, worst, slope)

    latest_change = None
    first_reached: date | None = None
    sustained: bool | None = None
    if len(ordered) > 1:
        changes = [interpret_change(inst, ordered[0].value, p.value, scale=scale, mcid=mcid) for p in ordered[1:]]
        latest_change = changes[-1]
        if latest_change.mcid is not None:
            reached = [c.mcid_reached for c in changes]
            if any(reached):
                index = reached.index(True)
                first_reached = ordered[index + 1].when
                sustained = all(reached[index:])
    trajectory, basis = _trajectory(inst, scale, ordered, slope, mcid)
    summary = _sentence(inst, scale, ordered, latest_change, trajectory, first_reached, sustained)
    return TrendSummary(
        instrument_id=inst.id,
        scale=scale,
        sessions=len(ordered),
        first_date=ordered[0].when,
        last_date=ordered[-1].when,
        baseline=values[0],
        latest=values[-1],
        best=best,
        worst=worst,
        higher_is_better=inst.higher_is_better,
        latest_change=latest_change,
        slope_per_week=None if slope is None else round(slope, 4),
        improvement_per_week=improvement_slope,
        trajectory=trajectory,
        trajectory_basis=basis,
        first_mcid_date=first_reached,
        mcid_sustained=sustained,
        responders=None,
        summary=summary,
    )


def _slope(ordered: Sequence[DatedScore]) -> float | None:
    """Least-squares slope in score points per week; None with fewer than two dates."""
    days = [(p.when - ordered[0].when).days for p in ordered]
    if len(set(days)) < 2:
        return None
    n = len(days)
    mean_x = sum(days) / n
    mean_y = sum(p.value for p in ordered) / n
    sxx = sum((x - mean_x) ** 2 for x in days)
    sxy = sum((x - mean_x) * (p.value - mean_y) for x, p in zip(days, ordered, strict=True))
    return sxy / sxx * 7


def _trajectory(
    inst: Instrument,
    scale: str,
    ordered: Sequence[DatedScore],
    slope: float | None,
    mcid: float | None,
) -> tuple[Trajectory, str]:
    if slope is None:
        return "single_score", "one session (or one date) only"
    span_weeks = (ordered[-1].when - ordered[0].when).days / 7
    fitted = slope * span_weeks * (1 if inst.higher_is_better else -1)
    threshold = mcid if mcid is not None else None
    basis = ""
    if threshold is None and (primary := inst.primary_mcid(scale)) is not None:
        threshold, basis = primary.value, f"fitted change over the period vs the MCID {primary.value:g}"
    if threshold is None and (mdc := inst.primary_mdc(scale)) is not None:
        threshold, basis = mdc.value, f"fitted change over the period vs the MDC {mdc.value:g}"
    if threshold is None:
        low, high = inst.scale_range(scale)
        threshold = 0.05 * (high - low)
        basis = f"no MCID or MDC: fitted change vs 5 % of the range ({threshold:g})"
    elif not basis:
        basis = f"fitted change over the period vs the clinic's MCID {threshold:g}"
    if fitted >= threshold:
        return "improving", basis
    if fitted <= -threshold:
        return "worsening", basis
    return "stable", basis


def _transition_summary(
    inst: Instrument,
    scale: str,
    ordered: Sequence[DatedScore],
    best: float,
    worst: float,
    slope: float | None,
) -> TrendSummary:
    rule = inst.transition
    responders = None
    if rule is not None:
        responders = sum(
            1 for p in ordered if (p.value <= rule.value if rule.responder_if == "<=" else p.value >= rule.value)
        )
    latest = ordered[-1].value
    summary = (
        f"{inst.short_name}: {len(ordered)} rating(s), latest {shown(latest)}"
        + (f"; responder in {responders} of {len(ordered)}" if responders is not None else "")
        + "."
    )
    sign = 1 if inst.higher_is_better else -1
    return TrendSummary(
        instrument_id=inst.id,
        scale=scale,
        sessions=len(ordered),
        first_date=ordered[0].when,
        last_date=ordered[-1].when,
        baseline=ordered[0].value,
        latest=latest,
        best=best,
        worst=worst,
        higher_is_better=inst.higher_is_better,
        latest_change=None,
        slope_per_week=None if slope is None else round(slope, 4),
        improvement_per_week=None if slope is None else round(sign * slope, 4),
        trajectory="single_score" if slope is None else "stable",
        trajectory_basis="global-change anchors rate change themselves; see responders",
        first_mcid_date=None,
        mcid_sustained=None,
        responders=responders,
        summary=summary,
    )


def _sentence(
    inst: Instrument,
    scale: str,
    ordered: Sequence[DatedScore],
    change: ChangeInterpretation | None,
    trajectory: Trajectory,
    first_reached: date | None,
    sustained: bool | None,
) -> str:
    name = inst.short_name if scale == "total" else f"{inst.short_name} {scale}"
    if change is None:
        return f"{name}: one score ({shown(ordered[0].value)} on {ordered[0].when}); no trend yet."
    text = (
        f"{name}: {len(ordered)} scores from {ordered[0].when} to {ordered[-1].when}, "
        f"{trajectory}. {change.explanation}"
    )
    if first_reached is not None:
        held = "and has held since" if sustained else "but has not held at every session since"
        text += f" The MCID was first reached on {first_reached} {held}."
    return text
