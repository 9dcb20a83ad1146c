"""An outcome-measure response as entered: which instrument, the answers, when.

The answers themselves are checked by the instrument (``filiform.core.outcomes.score``),
the one scorer; this model bounds their shape so no face can hand it a value of the wrong
kind (a mapping, ``inf``, a 10,000-character string).

>>> OutcomeDetails.parse({"instrument_id": "nprs", "answers": [float("nan")], "completed_on": "2026-01-05"})
Traceback (most recent call last):
...
filiform.errors.ValidationFailed: invalid outcome details
  - answers 1: must be a finite number
  - answers: must be answers by item
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from filiform.core.concepts.values import IsoDate, RecordId, Strict

InstrumentId = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]
Answer = Annotated[float, Field(allow_inf_nan=False)] | int | Annotated[str, StringConstraints(max_length=40)] | None
ItemId = Annotated[str, StringConstraints(min_length=1, max_length=40)]
Answers = Annotated[list[Answer], Field(max_length=200)] | Annotated[dict[ItemId, Answer], Field(max_length=200)]
Activity = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class OutcomeDetails(Strict):
    instrument_id: InstrumentId
    answers: Answers
    completed_on: IsoDate  # a home questionnaire is dated by the server's clock, not typed in
    episode_id: RecordId | None = None
    # The patient's own words for items the instrument leaves open (PSFS activities), by item id.
    activities: Annotated[dict[ItemId, Activity], Field(default_factory=dict, max_length=20)]


AMENDABLE = frozenset({"answers"})  # the total follows from the answers; it is never typed in
