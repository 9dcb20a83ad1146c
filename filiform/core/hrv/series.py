"""The beat series every HRV function works on."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from filiform.core.hrv.units import RR_MAX_MS, RR_MIN_MS, Unit, to_milliseconds
from filiform.errors import ValidationFailed


@dataclass(frozen=True)
class RRSeries:
    """RR intervals (ms) and the time (s from recording start) of the beat ending each one.

    Times come from the cumulative sum of the intervals unless the source recorded them; they
    are what phases (baseline, needling, rest) are cut by. ``valid`` marks intervals that are
    physiologically plausible; successive differences are only taken between neighbours that
    are both valid, so a dropout never becomes a fake beat-to-beat change.
    """

    rr_ms: NDArray[np.float64]
    times_s: NDArray[np.float64]
    valid: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def __post_init__(self) -> None:
        if self.rr_ms.shape != self.times_s.shape:
            raise ValidationFailed("RR intervals and beat times differ in length")
        if self.valid.size == 0:
            mask = (self.rr_ms >= RR_MIN_MS) & (self.rr_ms <= RR_MAX_MS)
            object.__setattr__(self, "valid", mask)
        if np.any(np.diff(self.times_s) <= 0):
            raise ValidationFailed("beat times must increase strictly")

    @classmethod
    def from_intervals(
        cls, rr: list[float] | NDArray[np.float64], unit: Unit = "auto", start_s: float = 0.0
    ) -> RRSeries:
        """Build a series from bare intervals; beat times are their running sum."""
        rr_ms = to_milliseconds(rr, unit)
        return cls(rr_ms=rr_ms, times_s=start_s + np.cumsum(rr_ms) / 1000.0)

    @property
    def duration_s(self) -> float:
        """Span covered by the intervals, from the first interval's start to the last beat."""
        if self.rr_ms.size == 0:
            return 0.0
        return float(self.times_s[-1] - (self.times_s[0] - self.rr_ms[0] / 1000.0))

    def window(self, start_s: float, end_s: float) -> RRSeries:
        """Intervals whose closing beat falls in ``[start_s, end_s)``."""
        sel = (self.times_s >= start_s) & (self.times_s < end_s)
        return RRSeries(rr_ms=self.rr_ms[sel], times_s=self.times_s[sel], valid=self.valid[sel])

    def successive_differences(self) -> NDArray[np.float64]:
        """Differences between neighbouring intervals that are both valid."""
        both = self.valid[1:] & self.valid[:-1]
        return np.diff(self.rr_ms)[both]

    def valid_rr(self) -> NDArray[np.float64]:
        """The plausible intervals only."""
        return self.rr_ms[self.valid]
