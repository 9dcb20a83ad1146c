"""Session phases (baseline, needling, rest...) as time windows from the session record."""

from __future__ import annotations

import itertools
import re

from pydantic import BaseModel, ConfigDict, model_validator

from filiform.errors import ValidationFailed

_ITEM = re.compile(r"^\s*([A-Za-z][\w-]*)\s*=\s*([0-9.]+)\s*-\s*([0-9.]+)\s*$")


class Phase(BaseModel):
    """A named window ``[start_s, end_s)`` in seconds from the start of the recording."""

    model_config = ConfigDict(frozen=True)

    name: str
    start_s: float
    end_s: float

    @model_validator(mode="after")
    def _ordered(self) -> Phase:
        if self.start_s < 0 or self.end_s <= self.start_s:
            raise ValueError(f"phase {self.name!r} must have 0 <= start < end")
        return self

    @property
    def duration_s(self) -> float:
        """Length of the window in seconds."""
        return self.end_s - self.start_s


def parse_phase_spec(spec: str) -> list[Phase]:
    """Parse ``baseline=0-300,needling=300-900,rest=900-1200`` into phases."""
    phases: list[Phase] = []
    for item in (part for part in spec.split(",") if part.strip()):
        match = _ITEM.match(item)
        if match is None:
            raise ValidationFailed(
                f"cannot read phase {item.strip()!r}; write name=start-end in seconds, e.g. baseline=0-300"
            )
        name, start, end = match.group(1), float(match.group(2)), float(match.group(3))
        if end <= start:
            raise ValidationFailed(f"phase {name!r} ends ({end:g} s) before it starts")
        phases.append(Phase(name=name, start_s=start, end_s=end))
    return check_phases(phases)


def check_phases(phases: list[Phase]) -> list[Phase]:
    """Refuse empty, duplicated or overlapping phases; return them sorted by start."""
    if not phases:
        raise ValidationFailed("give at least one phase, e.g. baseline=0-300")
    names = [p.name for p in phases]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValidationFailed(f"phase names repeat: {', '.join(dupes)}")
    ordered = sorted(phases, key=lambda p: p.start_s)
    for a, b in itertools.pairwise(ordered):
        if b.start_s < a.end_s:
            raise ValidationFailed(f"phases {a.name!r} and {b.name!r} overlap")
    return ordered


def baseline_of(phases: list[Phase]) -> Phase:
    """The phase named ``baseline``, else the earliest one."""
    for phase in phases:
        if phase.name.lower() == "baseline":
            return phase
    return min(phases, key=lambda p: p.start_s)
