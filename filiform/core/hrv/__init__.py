"""Heart-rate variability during a needling session and an early vasovagal warning.

Pure domain code: parsing of RR text already in memory, unit checks, artefact correction
(Lipponen & Tarvainen 2019 via NeuroKit2), per-phase metrics, change from baseline with a
bootstrap interval, and an incremental vasovagal monitor. File reading lives in
``filiform.services.records.hrv_files``; plots in ``filiform.reports.hrv_plot``. See docs/hrv.md.
"""

from filiform.core.hrv.artefacts import CorrectionReport, correct_artefacts
from filiform.core.hrv.metrics import MetricValue, window_metrics
from filiform.core.hrv.parsing import parse_rr_text
from filiform.core.hrv.phases import Phase, parse_phase_spec
from filiform.core.hrv.series import RRSeries
from filiform.core.hrv.session import SessionAnalysis, analyse_session, summarise_session
from filiform.core.hrv.signal import rr_from_signal
from filiform.core.hrv.vasovagal import (
    VasovagalEvent,
    VasovagalMonitor,
    VasovagalRule,
    detect_vasovagal,
)

__all__ = [
    "CorrectionReport",
    "MetricValue",
    "Phase",
    "RRSeries",
    "SessionAnalysis",
    "VasovagalEvent",
    "VasovagalMonitor",
    "VasovagalRule",
    "analyse_session",
    "correct_artefacts",
    "detect_vasovagal",
    "parse_phase_spec",
    "parse_rr_text",
    "rr_from_signal",
    "summarise_session",
    "window_metrics",
]
