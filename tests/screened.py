"""Screenings for test worlds, built by the real intake model and screening engine.

A test that needs a screened patient states the answers; the engine decides.  A decision
written by hand (``{"pacemaker": True}`` with a made-up result) would let a test world
disagree with the rules it is meant to exercise.
"""

from __future__ import annotations

import typing
from typing import Any

from filiform.core.safety.decision import ScreeningResult
from filiform.core.safety.intake import Intake
from filiform.core.safety.screening import screen

_YES = {"capacity_to_consent", "consents_to_needling"}


def _all_clear() -> dict[str, Any]:
    """Every yes/no question answered for a healthy, consenting adult of 40."""
    answers: dict[str, Any] = {"age": 40, "anticoagulant": "no"}
    for name, field in Intake.model_fields.items():
        if set(typing.get_args(field.annotation)) == {"yes", "no", "unknown"}:
            answers[name] = "yes" if name in _YES else "no"
    answers["guardian_consent"] = "unknown"  # an adult: the question does not apply
    return answers


ALL_CLEAR = _all_clear()


def screened(**answers: Any) -> tuple[dict[str, Any], ScreeningResult]:
    """(stored answers, the engine's result) for an all-clear intake changed by ``answers``."""
    intake = Intake.model_validate({**ALL_CLEAR, **answers})
    return intake.model_dump(mode="json"), screen(intake)
