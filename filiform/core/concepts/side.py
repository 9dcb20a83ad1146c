"""The patient's side: always the patient's own left and right, never the viewer's.

>>> Side("left").other
<Side.RIGHT: 'right'>
>>> Laterality.from_text("Right")
<Laterality.RIGHT: 'right'>
"""

from __future__ import annotations

from enum import StrEnum

from filiform.errors import ValidationFailed


class Side(StrEnum):
    """One side of the body (atlas regions, trigger points, planned targets, findings)."""

    RIGHT = "right"
    LEFT = "left"

    @property
    def other(self) -> Side:
        return Side.LEFT if self is Side.RIGHT else Side.RIGHT


class Laterality(StrEnum):
    """Where a needle or record lies: a side, or the midline (stored vocabulary).

    ``bilateral`` exists only because rows written before one-needle-per-row was enforced
    may carry it; new insertions name one side or the midline.
    """

    RIGHT = "right"
    LEFT = "left"
    MIDLINE = "midline"
    BILATERAL = "bilateral"

    @classmethod
    def from_text(cls, text: str) -> Laterality:
        """Parse a side typed by a person (case and surrounding space ignored)."""
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValidationFailed(
                f"side must be one of {', '.join(m.value for m in cls)}, not '{text[:40]}'"
            ) from None

    @property
    def side(self) -> Side | None:
        """The one body side, or None for the midline and legacy bilateral rows."""
        return Side(self.value) if self.value in ("left", "right") else None
