"""Units and physiological plausibility of RR intervals.

Files rarely say whether RR intervals are in milliseconds or seconds, and a column of heart
rates looks like a column of intervals to a careless parser. The median interval settles the
unit: a resting or procedural heart rate lies between 20 and 240 beats/min, so its RR interval
lies between 250 and 3000 ms (0.25-3 s). Anything else is refused with a message that names
the likely mix-up instead of producing metrics from the wrong scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from filiform.errors import ValidationFailed

Unit = Literal["ms", "s", "auto"]

RR_MIN_MS = 250.0
"""Shortest plausible interval (240 beats/min)."""
RR_MAX_MS = 3000.0
"""Longest plausible interval (20 beats/min)."""
MAX_OUT_OF_RANGE_FRACTION = 0.2
"""Above this share of implausible intervals the file is refused rather than cleaned."""


def detect_unit(values: NDArray[np.float64]) -> Literal["ms", "s"]:
    """Guess ms or s from the median interval; refuse heart rates and nonsense scales."""
    if values.size == 0:
        raise ValidationFailed("no RR intervals found")
    median = float(np.median(values))
    if RR_MIN_MS / 1000 <= median <= RR_MAX_MS / 1000:
        return "s"
    if RR_MIN_MS <= median <= RR_MAX_MS:
        return "ms"
    if 20 <= median <= 240:
        raise ValidationFailed(
            f"median value {median:g} looks like heart rate in beats/min, not RR intervals; "
            "export RR (beat-to-beat) intervals instead"
        )
    raise ValidationFailed(
        f"median value {median:g} is neither a plausible RR interval in ms (250-3000) "
        "nor in s (0.25-3); check the file's unit"
    )


def to_milliseconds(values: Sequence[float] | NDArray[np.float64], unit: Unit = "auto") -> NDArray[np.float64]:
    """Return intervals in ms, checking that they are finite and positive."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValidationFailed("RR intervals must be a flat list of numbers")
    bad = np.flatnonzero(~np.isfinite(arr) | (arr <= 0))
    if bad.size:
        shown = ", ".join(str(int(i) + 1) for i in bad[:5])
        raise ValidationFailed(f"{bad.size} RR value(s) are missing, zero or negative (entries {shown})")
    chosen = detect_unit(arr) if unit == "auto" else unit
    if chosen not in ("ms", "s"):
        raise ValidationFailed(f"unknown unit {unit!r}; use ms, s or auto")
    ms = arr * 1000.0 if chosen == "s" else arr
    check_plausible(ms)
    return ms


def check_plausible(rr_ms: NDArray[np.float64]) -> None:
    """Refuse a series whose intervals are mostly outside 250-3000 ms.

    A few implausible intervals are artefacts (missed or extra beats) and are handled by
    correction; a large share means the wrong unit, the wrong column or a broken recording.
    """
    if rr_ms.size < 2:
        raise ValidationFailed("need at least two RR intervals")
    outside = (rr_ms < RR_MIN_MS) | (rr_ms > RR_MAX_MS)
    share = float(outside.mean())
    if share > MAX_OUT_OF_RANGE_FRACTION:
        raise ValidationFailed(
            f"{share:.0%} of RR intervals are outside 250-3000 ms (20-240 beats/min); "
            "check the unit (ms or s) and that the column holds RR intervals",
        )
