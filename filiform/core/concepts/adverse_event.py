"""Adverse events: the taxonomy and the rules every report (new, amended, imported) must meet.

The taxonomy follows the project's research note (docs/records.md): severity after
Carnes 2010 / Carlesso 2011 (minor = short-lived, reversible, treatment unchanged;
moderate; major = medium-long term, moderate-severe, needs further care), White 2001's
"significant" flag, onset, action taken and causality as in CONSORT-harms reporting.

>>> AdverseEventDetails.parse({"occurred_on": "2026-01-05", "event_type": "pneumothorax", "severity": "minor",
...                            "onset": "within_24h", "action_taken": "hospital", "causality": "probable"})
Traceback (most recent call last):
...
filiform.errors.ValidationFailed: invalid adverse event details
  - record: pneumothorax is always a major adverse event; an event needing emergency or hospital care is major
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, StringConstraints, model_validator

from filiform.core.concepts.values import Note, PastDate, RecordId, Strict, enum_of


class EventType(StrEnum):
    BRUISING = "bruising"
    BLEEDING = "bleeding"
    PAIN_DURING = "pain_during"
    PAIN_AFTER = "pain_after"
    SYMPTOM_AGGRAVATION = "symptom_aggravation"
    DROWSINESS = "drowsiness"
    FATIGUE = "fatigue"
    HEADACHE = "headache"
    NAUSEA = "nausea"
    SYNCOPE = "syncope"
    ALTERED_EMOTIONS = "altered_emotions"
    NUMBNESS = "numbness"
    INFECTION = "infection"
    FORGOTTEN_NEEDLE = "forgotten_needle"
    NERVE_INJURY = "nerve_injury"
    PNEUMOTHORAX = "pneumothorax"
    SEIZURE = "seizure"
    OTHER = "other"


class Severity(StrEnum):
    MINOR = "minor"
    MODERATE = "moderate"
    MAJOR = "major"


class Onset(StrEnum):
    DURING = "during"
    WITHIN_24H = "within_24h"
    LATER = "later"


class ActionTaken(StrEnum):
    NONE = "none"
    SELF_CARE = "self_care"
    CLINICIAN = "clinician"
    EMERGENCY_DEPARTMENT = "emergency_department"
    HOSPITAL = "hospital"


class Causality(StrEnum):
    CERTAIN = "certain"
    PROBABLE = "probable"
    POSSIBLE = "possible"
    UNLIKELY = "unlikely"


# Events that are major whatever the reporter picks: they always need further care.
ALWAYS_MAJOR = frozenset({EventType.PNEUMOTHORAX, EventType.NERVE_INJURY, EventType.INFECTION, EventType.SEIZURE})
NEEDS_CARE = frozenset({ActionTaken.EMERGENCY_DEPARTMENT, ActionTaken.HOSPITAL})


class AdverseEventDetails(Strict):
    occurred_on: PastDate
    event_type: Annotated[EventType, BeforeValidator(enum_of(EventType))]
    severity: Annotated[Severity, BeforeValidator(enum_of(Severity))]
    onset: Annotated[Onset, BeforeValidator(enum_of(Onset))]
    action_taken: Annotated[ActionTaken, BeforeValidator(enum_of(ActionTaken))]
    causality: Annotated[Causality, BeforeValidator(enum_of(Causality))]
    session_id: RecordId | None = None
    significant: bool = False
    duration: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)] | None = None
    description: Note | None = None

    @model_validator(mode="after")
    def _classified_consistently(self) -> AdverseEventDetails:
        found = []
        major = self.severity is Severity.MAJOR
        if self.event_type in ALWAYS_MAJOR and not major:
            found.append(f"{self.event_type.value} is always a major adverse event")
        if self.action_taken in NEEDS_CARE and not major:
            found.append("an event needing emergency or hospital care is major")
        if self.event_type is EventType.OTHER and not (self.description or "").strip():
            found.append("describe an event of type 'other'")
        if found:
            raise ValueError("; ".join(found))
        return self

    @property
    def is_significant(self) -> bool:
        """A major event is always significant (White 2001)."""
        return self.significant or self.severity is Severity.MAJOR


AMENDABLE = frozenset({"severity", "significant", "duration", "action_taken", "causality", "description"})
