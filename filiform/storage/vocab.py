"""Closed vocabularies stored as strings (checked in services and by CHECK constraints).

The adverse-event taxonomy follows the research note (docs/records.md): severity after
Carnes 2010 / Carlesso 2011 (minor = short-lived, reversible, treatment unchanged;
moderate; major = medium-long term, moderate-severe, needs further care), White 2001's
"significant" flag, onset, action taken and causality as in CONSORT-harms reporting.
"""

from __future__ import annotations

ROLES = ("clinician", "assistant", "front_desk", "admin")
SIDES = ("left", "right", "midline", "bilateral")
SEVERITIES = ("minor", "moderate", "major")
ATTACHMENT_KINDS = ("rr", "ecg", "pdf", "other")
AE_ONSETS = ("during", "within_24h", "later")
AE_ACTIONS = ("none", "self_care", "clinician", "emergency_department", "hospital")
AE_CAUSALITY = ("certain", "probable", "possible", "unlikely")
AE_TYPES = (
    "bruising",
    "bleeding",
    "pain_during",
    "pain_after",
    "symptom_aggravation",
    "drowsiness",
    "fatigue",
    "headache",
    "nausea",
    "syncope",
    "altered_emotions",
    "numbness",
    "infection",
    "forgotten_needle",
    "nerve_injury",
    "pneumothorax",
    "seizure",
    "other",
)
# Events that are major whatever the reporter picks: they always need further care.
ALWAYS_MAJOR = frozenset({"pneumothorax", "nerve_injury", "infection", "seizure"})


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK expression limiting a column to a vocabulary."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
