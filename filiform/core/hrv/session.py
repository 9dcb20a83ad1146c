"""One call from RR intervals and phases to a JSON-able session summary.

This is the entry point for the CLI and the web session view: give it intervals (or an
:class:`RRSeries`) and phases, get back a :class:`SessionAnalysis` whose ``model_dump(
mode="json")`` is safe to send to a template or an API client (:func:`summarise_session`).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from filiform.core.hrv.artefacts import CorrectionReport, correct_artefacts
from filiform.core.hrv.metrics import MetricValue, window_metrics
from filiform.core.hrv.phases import Phase, baseline_of, check_phases, parse_phase_spec
from filiform.core.hrv.response import BOOTSTRAP_METHOD, CAVEAT, Change, changes_from_baseline
from filiform.core.hrv.series import RRSeries
from filiform.core.hrv.units import Unit
from filiform.core.hrv.vasovagal import VasovagalEvent, VasovagalRule, detect_vasovagal


class PhaseResult(BaseModel):
    """Metrics of one phase and how much data they rest on."""

    model_config = ConfigDict(frozen=True)

    phase: Phase
    n_beats: int
    covered_s: float
    metrics: list[MetricValue]


class SessionAnalysis(BaseModel):
    """Everything the session view, PDF note and CLI show for one recording."""

    model_config = ConfigDict(frozen=True)

    correction: CorrectionReport
    phases: list[PhaseResult]
    baseline: str
    changes: list[Change]
    uncertainty_method: str = BOOTSTRAP_METHOD
    events: list[VasovagalEvent]
    rule: VasovagalRule
    caveat: str = CAVEAT
    times_s: list[float]
    rr_ms: list[float]
    valid: list[bool]
    raw_times_s: list[float]
    raw_rr_ms: list[float]


CACHE_SIZE = 16
"""Analyses kept in memory (a one-hour analysis holds about 24,000 numbers, under 1 MB)."""
_CACHE: OrderedDict[str, SessionAnalysis] = OrderedDict()
_LOCK = threading.Lock()


def analyse_session(
    rr: RRSeries | Sequence[float] | NDArray[np.float64],
    phases: Sequence[Phase] | str,
    *,
    unit: Unit = "auto",
    rule: VasovagalRule | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> SessionAnalysis:
    """Correct artefacts, measure each phase, compare with baseline and run the warning.

    The analysis is deterministic, so the last few results are kept by a hash of their
    inputs (a session page and its PDF note analyse the same recording); treat the returned
    object as read-only.
    """
    raw = rr if isinstance(rr, RRSeries) else RRSeries.from_intervals(np.asarray(rr), unit)
    plist = parse_phase_spec(phases) if isinstance(phases, str) else check_phases(list(phases))
    rule = rule or VasovagalRule()
    key = _cache_key(raw, plist, rule, n_boot, seed)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None:
            _CACHE.move_to_end(key)
            return hit
    analysis = _analyse(raw, plist, rule, n_boot, seed)
    with _LOCK:
        _CACHE[key] = analysis
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return analysis


def clear_analysis_cache() -> None:
    """Forget every kept analysis (benchmarks and tests start cold with it)."""
    with _LOCK:
        _CACHE.clear()


def _cache_key(raw: RRSeries, phases: list[Phase], rule: VasovagalRule, n_boot: int, seed: int) -> str:
    digest = hashlib.sha256()
    for array in (raw.rr_ms, raw.times_s, raw.valid):
        data = np.ascontiguousarray(array)
        digest.update(f"{data.dtype.str}{data.shape}".encode())
        digest.update(data.tobytes())
    digest.update(repr([(p.name, p.start_s, p.end_s) for p in phases]).encode())
    digest.update(rule.model_dump_json().encode())
    digest.update(f"{n_boot}:{seed}".encode())
    return digest.hexdigest()


def _analyse(raw: RRSeries, plist: list[Phase], rule: VasovagalRule, n_boot: int, seed: int) -> SessionAnalysis:
    clean, report = correct_artefacts(raw)
    results: dict[str, tuple[RRSeries, list[MetricValue]]] = {}
    phase_results: list[PhaseResult] = []
    for phase in plist:
        win = clean.window(phase.start_s, phase.end_s)
        covered = _covered_s(win, phase)
        vals = window_metrics(win, covered)
        results[phase.name] = (win, vals)
        phase_results.append(PhaseResult(phase=phase, n_beats=int(win.rr_ms.size), covered_s=covered, metrics=vals))
    base = baseline_of(plist)
    changes: list[Change] = []
    for phase in plist:
        if phase.name != base.name:
            changes.extend(
                changes_from_baseline(
                    results[base.name],
                    phase.name,
                    results[phase.name],
                    n_boot=n_boot,
                    seed=seed,
                )
            )
    base_hr = next((v.value for v in results[base.name][1] if v.name == "hr"), None)
    events = detect_vasovagal(clean, rule, base_hr)
    return SessionAnalysis(
        correction=report,
        phases=phase_results,
        baseline=base.name,
        changes=changes,
        events=events,
        rule=rule,
        times_s=clean.times_s.tolist(),
        rr_ms=clean.rr_ms.tolist(),
        valid=clean.valid.tolist(),
        raw_times_s=raw.times_s.tolist(),
        raw_rr_ms=raw.rr_ms.tolist(),
    )


def _covered_s(win: RRSeries, phase: Phase) -> float:
    """Seconds of the phase actually covered by beats (a recording may end early)."""
    if win.rr_ms.size == 0:
        return 0.0
    return float(min(win.duration_s, phase.duration_s))


def summarise_session(
    rr: RRSeries | Sequence[float] | NDArray[np.float64],
    phases: Sequence[Phase] | str,
    **kwargs: object,
) -> dict[str, object]:
    """:func:`analyse_session` as plain JSON-able data (for templates and APIs)."""
    analysis = analyse_session(rr, phases, **kwargs)  # type: ignore[arg-type]
    return analysis.model_dump(mode="json")
