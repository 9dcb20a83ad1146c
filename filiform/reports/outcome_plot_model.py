"""What an outcome trend plot shows, decided once for both painters.

The band is drawn around the baseline (the first score): inside it the change is smaller
than the MCID; the region beyond it on the *better* side (up for the LEFS, down for the
NDI) is tinted green and the region beyond it on the worse side red. Points are coloured
the same way; scores the patient gave at home are ringed. ``outcome_plot_svg`` and
``outcome_plot_png`` draw a :class:`PlotModel`; ``outcome_plot`` chooses between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from filiform.core.outcomes import DatedScore, Instrument, interpret_change, summarise_trend
from filiform.core.outcomes.interpret import shown

BETTER = "#2e7d32"
WORSE = "#c62828"
NEUTRAL = "#546e7a"
LINE = "#263238"
BAND = "#cfd8dc"


@dataclass(frozen=True)
class Span:
    """A horizontal band from ``low`` to ``high`` (score units)."""

    low: float
    high: float
    colour: str
    opacity: float
    label: str
    zorder: int


@dataclass(frozen=True)
class HLine:
    """A horizontal reference line; ``dash`` is ``"--"`` or ``":"``; drawn under the data.

    ``after_data``: added to the plot after the points (the baseline), which puts it after
    them in the legend.
    """

    y: float
    colour: str
    dash: str
    width: float
    label: str | None
    after_data: bool = False


HOME_LABEL = "answered at home"
"""Legend entry for scores the patient gave at home (their points are ringed)."""


@dataclass(frozen=True)
class PlotModel:
    """Everything both painters draw. Bands are listed band first, then the tints (the legend
    order); tints have ``zorder`` 0 and are drawn under the band (1)."""

    title: str
    ylabel: str
    low: float
    high: float
    dates: list[date]
    values: list[float]
    colours: list[str]
    labels: list[str]
    home: list[bool]
    spans: list[Span]
    lines: list[HLine]
    caption: str

    @property
    def legend(self) -> list[Span | HLine | str]:
        """Labelled items in the order they are added to the plot: bands, lines drawn before
        the data, the home-answer mark (``HOME_LABEL``) when any point has it, later lines."""
        before = [line for line in self.lines if line.label and not line.after_data]
        after = [line for line in self.lines if line.label and line.after_data]
        home: list[str] = [HOME_LABEL] if any(self.home) else []
        return [*(s for s in self.spans if s.label), *before, *home, *after]


def plot_model(
    inst: Instrument, scores: Sequence[DatedScore], *, scale: str, title: str | None, mcid: float | None
) -> PlotModel:
    """Check the scores and decide bands, lines, colours and words."""
    trend = summarise_trend(inst, scores, scale=scale, mcid=mcid)
    ordered = sorted(scores, key=lambda p: p.when)
    low, high = inst.scale_range(scale)
    baseline = ordered[0].value
    threshold = _threshold(inst, scale, mcid)
    spans: list[Span] = []
    lines: list[HLine] = []
    if threshold is not None and inst.kind == "score":
        spans, lines = _band(baseline, threshold, 1 if inst.higher_is_better else -1, low, high)
    elif inst.kind == "transition" and inst.transition is not None:
        rule = f"responder threshold ({inst.transition.responder_if} {inst.transition.value})"
        lines.append(HLine(inst.transition.value, BETTER, "--", 1.2, rule))
    if inst.kind == "score":
        lines.append(HLine(baseline, NEUTRAL, ":", 1.0, "baseline", after_data=True))
    values = [p.value for p in ordered]
    better_word = "higher is better ↑" if inst.higher_is_better else "lower is better ↓"
    unit = "" if inst.unit in ("points", "category") else f" ({inst.unit})"
    scale_name = "" if scale == "total" else f" – {_scale_name(inst, scale)}"
    return PlotModel(
        title=title or f"{inst.name}{scale_name}",
        ylabel=f"{inst.short_name}{scale_name}{unit}\n{better_word}",
        low=low,
        high=high,
        dates=[p.when for p in ordered],
        values=values,
        colours=[_colour(inst, scale, baseline, v, mcid, i == 0) for i, v in enumerate(values)],
        labels=[shown(p.value) + (" (home)" if p.source == "home" else "") for p in ordered],
        home=[p.source == "home" for p in ordered],
        spans=spans,
        lines=lines,
        caption=_caption(inst, trend.summary, threshold),
    )


def _threshold(inst: Instrument, scale: str, mcid: float | None) -> float | None:
    if mcid is not None:
        return mcid
    primary = inst.primary_mcid(scale)
    return primary.value if primary else None


def _band(baseline: float, mcid: float, sign: int, low: float, high: float) -> tuple[list[Span], list[HLine]]:
    better_edge = baseline + sign * mcid
    worse_edge = baseline - sign * mcid
    band_low, band_high = sorted((better_edge, worse_edge))
    spans = [Span(max(low, band_low), min(high, band_high), BAND, 0.55, f"within ±{mcid:g} (MCID) of baseline", 1)]
    if sign > 0:
        good = (min(better_edge, high), high)
        bad = (low, max(worse_edge, low))
    else:
        good = (low, max(better_edge, low))
        bad = (min(worse_edge, high), high)
    if good[1] > good[0]:
        spans.append(Span(*good, BETTER, 0.08, "improved by at least the MCID", 0))
    if bad[1] > bad[0]:
        spans.append(Span(*bad, WORSE, 0.06, "worse by at least the MCID", 0))
    lines = [HLine(better_edge, BETTER, "--", 1.1, None)] if low <= better_edge <= high else []
    return spans, lines


def _colour(inst: Instrument, scale: str, baseline: float, value: float, mcid: float | None, is_baseline: bool) -> str:
    if is_baseline:
        return NEUTRAL
    if inst.kind == "transition":
        rule = inst.transition
        if rule is None:
            return NEUTRAL
        hit = value <= rule.value if rule.responder_if == "<=" else value >= rule.value
        return BETTER if hit else NEUTRAL
    change = interpret_change(inst, baseline, value, scale=scale, mcid=mcid)
    return {"improved": BETTER, "worsened": WORSE}.get(change.classification.value, NEUTRAL)


def _scale_name(inst: Instrument, scale: str) -> str:
    for sub in inst.subscales:
        if sub.id == scale:
            return sub.name
    return scale


def _caption(inst: Instrument, summary: str, threshold: float | None) -> str:
    if inst.kind == "score" and threshold is None:
        summary += " No MCID is established for this scale, so no band is drawn."
    words = summary.split()
    lines, line = [], ""
    for word in words:
        if len(line) + len(word) + 1 > 130:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    lines.append(line)
    return "\n".join(lines)
