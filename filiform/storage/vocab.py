"""Closed vocabularies stored as strings, spelt once in ``filiform.core.concepts``.

The tuples here are the concepts' values, in the form CHECK constraints need (services
validate through the concept types; the constraints are the last line of defence).
"""

from __future__ import annotations

from filiform.core.concepts.adverse_event import ActionTaken, Causality, EventType, Onset, Severity
from filiform.core.concepts.side import Laterality

ROLES = ("clinician", "assistant", "front_desk", "admin")
SIDES = tuple(s.value for s in Laterality)
SEVERITIES = tuple(s.value for s in Severity)
ATTACHMENT_KINDS = ("rr", "ecg", "pdf", "other")
AE_ONSETS = tuple(o.value for o in Onset)
AE_ACTIONS = tuple(a.value for a in ActionTaken)
AE_CAUSALITY = tuple(c.value for c in Causality)
AE_TYPES = tuple(t.value for t in EventType)


def sql_in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK expression limiting a column to a vocabulary."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
