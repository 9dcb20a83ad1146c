"""Screenings for test worlds, built by the real intake model and screening engine.

A test that needs a screened patient states the answers; the engine decides.  A decision
written by hand (``{"pacemaker": True}`` with a made-up result) would let a test world
disagree with the rules it is meant to exercise.  The all-clear answers are the core's
own (``CLEAR_ANSWERS``), completed with an adult's age and BMI (the session check needs
a complete intake).
"""

from __future__ import annotations

from typing import Any

from filiform.core.safety.decision import ScreeningResult
from filiform.core.safety.intake import CLEAR_ANSWERS, Intake
from filiform.core.safety.screening import evaluate

ALL_CLEAR: dict[str, Any] = {**CLEAR_ANSWERS, "age": 46, "bmi": 26.0}


def screened(**answers: Any) -> tuple[dict[str, Any], ScreeningResult]:
    """(stored answers, the engine's result) for an all-clear intake changed by ``answers``."""
    intake = Intake.from_data({**ALL_CLEAR, **answers})
    return intake.model_dump(mode="json"), evaluate(intake)
