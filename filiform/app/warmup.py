"""Load the knowledge base and the engines when the application is built, not on a first request.

Each loader below is cached for the life of the process, so calling it once here means the
first clinician after a restart does not wait for YAML parsing, the referral matcher's index,
the screening rules, the condition plans, or the first PDF (WeasyPrint's own set-up and the
system fonts) and HRV recording (NeuroKit2's import). ``filiform serve`` prints its address
only after :func:`create_app <filiform.app.factory.create_app>` returns, so "running" means
ready. A loader that fails raises here, at start-up, instead of on someone's request.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from fastapi import FastAPI

from filiform.core.atlas.build import load_atlas
from filiform.core.kb.loader import load_kb
from filiform.core.matching.engine import default_engine
from filiform.core.outcomes import list_instruments
from filiform.core.planning.loader import load_conditions, load_techniques
from filiform.core.safety.rules import load_rules
from filiform.services.records.targets import known_target_ids

log = logging.getLogger("filiform.app")


def _hrv_engine() -> None:
    import neurokit2  # noqa: F401  (artefact correction and signal reading use it; ~1.5 s to import)


def _pdf_engine() -> None:
    from filiform.reports.pdf import handout_pdf

    handout_pdf("Ready.", title="Start-up", patient_name="-")  # WeasyPrint's first document sets up fonts


STEPS: tuple[tuple[str, Callable[[], object]], ...] = (
    ("knowledge base", load_kb),
    ("atlas", load_atlas),
    ("referral matcher", default_engine),
    ("screening rules", load_rules),
    ("conditions", load_conditions),
    ("techniques", load_techniques),
    ("outcome instruments", list_instruments),
    ("target ids", known_target_ids),
    ("HRV engine", _hrv_engine),
    ("PDF engine", _pdf_engine),
)


def warm_up(app: FastAPI) -> None:
    """Run every step once; record the seconds each took in ``app.state.warm_up_s``."""
    timings: dict[str, float] = {}
    for name, step in STEPS:
        started = time.perf_counter()
        step()
        timings[name] = time.perf_counter() - started
    app.state.warm_up_s = timings
    log.info("ready in %.1f s: %s", sum(timings.values()), ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
