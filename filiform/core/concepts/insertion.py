"""One needle insertion: where (target, side), how (technique, needle), how deep, what happened.

The web form, the API, the command line, the FHIR import and the session service all
build an :class:`Insertion`; :data:`INSERTION_FIELDS` is the one list of its stored
columns. Whether the target is in the knowledge base is checked by the record service,
which has the knowledge base at hand.

>>> Insertion.parse({"target_id": "upper_trapezius", "side": "right", "technique": "trigger_point_dn",
...                  "needle_length_mm": 30, "needle_gauge_mm": 0.25, "depth_mm": 15}).side
<Laterality.RIGHT: 'right'>
>>> Insertion.parse({"target_id": "upper_trapezius", "side": "right", "technique": "trigger_point_dn",
...                  "needle_length_mm": 30, "needle_gauge_mm": 0.25, "depth_mm": 40})
Traceback (most recent call last):
...
filiform.errors.ValidationFailed: invalid insertion
  - depth mm: depth 40 mm is deeper than the 30 mm needle
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator

from filiform.core.concepts.side import Laterality
from filiform.core.concepts.technique import Technique
from filiform.core.concepts.values import Code, Strict, enum_of

# Filiform needles on the market run from about 7 mm (face, hand) to 125 mm (gluteal, lumbar),
# 0.12-0.50 mm in diameter: anything outside is a typing error, not a needle.
NEEDLE_LENGTH_MM = (7.0, 125.0)
NEEDLE_DIAMETER_MM = (0.12, 0.5)
MAX_TWITCHES = 1000
MAX_RETENTION_S = 86_400


class Insertion(Strict):
    """One needle of a session, numbered by its position (1-based) in the session's list."""

    target_id: Code
    side: Annotated[Laterality, BeforeValidator(enum_of(Laterality))]
    technique: Annotated[Technique, BeforeValidator(enum_of(Technique))]
    needle_length_mm: Annotated[float, Field(ge=NEEDLE_LENGTH_MM[0], le=NEEDLE_LENGTH_MM[1], allow_inf_nan=False)]
    needle_gauge_mm: Annotated[float, Field(ge=NEEDLE_DIAMETER_MM[0], le=NEEDLE_DIAMETER_MM[1], allow_inf_nan=False)]
    depth_mm: Annotated[float, Field(ge=0, le=NEEDLE_LENGTH_MM[1], allow_inf_nan=False)]
    twitch_responses: Annotated[int, Field(ge=0, le=MAX_TWITCHES)] = 0
    retention_s: Annotated[int, Field(ge=0, le=MAX_RETENTION_S)] = 0

    @field_validator("depth_mm")
    @classmethod
    def _depth_fits_the_needle(cls, depth: float, info: ValidationInfo) -> float:
        length = info.data.get("needle_length_mm")  # absent when the length itself was refused
        if length is not None and depth > length:
            raise ValueError(f"depth {depth:g} mm is deeper than the {length:g} mm needle")
        return depth


INSERTION_FIELDS: tuple[str, ...] = tuple(Insertion.model_fields)
