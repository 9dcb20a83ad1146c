"""Electrical dry needling: which two needles form each circuit, and its stimulator settings.

Current flows between the two needles a lead pair is clipped to, so safety is a property of
the *pair* (both on one side, not across the chest, heart or head): a session records each
circuit as two needle numbers (1-based positions in the session's insertions) and the
settings. :func:`circuit_sites` turns circuits into ``(label, insertion A, insertion B)``
for a rule engine that checks pairs of sites.

Setting bounds are plausibility limits for a record, set by the project (not dosing
advice): wide enough for any clinical stimulator setting, narrow enough to refuse a typing
error, and always finite.

========================  ==========  =========
setting                   lowest      highest
========================  ==========  =========
frequency (Hz)            0.5         250
pulse width (µs)          20          1000
intensity (mA)            above 0     100
duration (s)              1           3600
========================  ==========  =========

>>> needles = [Insertion.parse({"target_id": t, "side": "right", "technique": "electrical_dn",
...                             "needle_length_mm": 40, "needle_gauge_mm": 0.3, "depth_mm": 20})
...            for t in ("gluteus_medius", "piriformis")]
>>> circuit = ElectricalCircuit.parse({"lead_a": 1, "lead_b": 2, "frequency_hz": 2, "pulse_width_us": 250,
...                                     "intensity_ma": 4, "duration_s": 600})
>>> [(label, a.target_id, b.target_id) for label, a, b in circuit_sites([circuit], needles)]
[('circuit 1', 'gluteus_medius', 'piriformis')]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, NamedTuple

from pydantic import Field, model_validator

from filiform.core.concepts.insertion import Insertion
from filiform.core.concepts.technique import Technique
from filiform.core.concepts.values import Strict

MAX_NEEDLES = 100
FREQUENCY_HZ = (0.5, 250.0)
PULSE_WIDTH_US = (20.0, 1000.0)
INTENSITY_MA = (0.0, 100.0)  # exclusive lower bound: a circuit that carried no current is no circuit
DURATION_S = (1.0, 3600.0)
SETTINGS = ("frequency_hz", "pulse_width_us", "intensity_ma", "duration_s")
NeedleNumber = Annotated[int, Field(ge=1, le=MAX_NEEDLES)]


class ElectricalCircuit(Strict):
    """One lead pair: current between needle ``lead_a`` and needle ``lead_b`` of the session."""

    lead_a: NeedleNumber
    lead_b: NeedleNumber
    frequency_hz: Annotated[float, Field(ge=FREQUENCY_HZ[0], le=FREQUENCY_HZ[1], allow_inf_nan=False)]
    pulse_width_us: Annotated[float, Field(ge=PULSE_WIDTH_US[0], le=PULSE_WIDTH_US[1], allow_inf_nan=False)]
    intensity_ma: Annotated[float, Field(gt=INTENSITY_MA[0], le=INTENSITY_MA[1], allow_inf_nan=False)]
    duration_s: Annotated[float, Field(ge=DURATION_S[0], le=DURATION_S[1], allow_inf_nan=False)]

    @model_validator(mode="after")
    def _two_needles(self) -> ElectricalCircuit:
        if self.lead_a == self.lead_b:
            raise ValueError("a circuit joins two different needles")
        return self


def setting_in_range(name: str, value: object) -> bool:
    """Whether a stored value is a valid setting (used to migrate older per-needle settings)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:  # NaN != NaN
        return False
    low, high = {
        "frequency_hz": FREQUENCY_HZ,
        "pulse_width_us": PULSE_WIDTH_US,
        "intensity_ma": INTENSITY_MA,
        "duration_s": DURATION_S,
    }[name]
    return (low < value if name == "intensity_ma" else low <= value) and value <= high


def circuit_problems(circuits: Sequence[ElectricalCircuit], insertions: Sequence[Insertion]) -> list[str]:
    """How the circuits fail to fit the needles: unknown needles, non-electrical needles, reuse.

    Every ``electrical_dn`` needle must be on exactly one circuit, and a circuit joins
    needles that carry a current only (``Technique.is_electrical``: electrical dry needling,
    PENS, percutaneous electrolysis), so the record says where every current flowed. PENS
    and electrolysis may also run to a surface electrode, which is not a needle: they are
    not required to be on a circuit.
    """
    out: list[str] = []
    used: dict[int, int] = {}
    for n, circuit in enumerate(circuits, 1):
        for lead in (circuit.lead_a, circuit.lead_b):
            if lead > len(insertions):
                out.append(f"circuit {n}: there is no needle {lead}")
                continue
            if not insertions[lead - 1].technique.is_electrical:
                out.append(f"circuit {n}: needle {lead} carries no current ({insertions[lead - 1].technique.value})")
            if lead in used:
                out.append(f"circuit {n}: needle {lead} is already on circuit {used[lead]}")
            used[lead] = n
    for number, needle in enumerate(insertions, 1):
        if needle.technique is Technique.ELECTRICAL and number not in used:
            out.append(f"needle {number} is electrical_dn but on no circuit: give its lead pair")
    return out


class CircuitSites(NamedTuple):
    """A circuit as the two sites its current joins."""

    label: str
    a: Insertion
    b: Insertion


def circuit_sites(circuits: Sequence[ElectricalCircuit], insertions: Sequence[Insertion]) -> list[CircuitSites]:
    """``(label, insertion A, insertion B)`` per circuit (the circuits must fit the needles)."""
    return [
        CircuitSites(f"circuit {n}", insertions[c.lead_a - 1], insertions[c.lead_b - 1])
        for n, c in enumerate(circuits, 1)
    ]
