"""Needling techniques: the stable ids used in data files, records and the screening rules.

>>> Technique("electrical_dn").is_electrical
True
>>> Technique("pens").is_electrical
True
>>> Technique("needle_tenotomy").is_electrical
False
"""

from __future__ import annotations

from enum import StrEnum


class Technique(StrEnum):
    """Needling techniques Filiform knows; values are stable ids used in data and records."""

    TRIGGER_POINT = "trigger_point_dn"
    STATIC = "static_dn"
    TENDON_FENESTRATION = "tendon_fenestration"
    PERINEURAL = "perineural"
    PERIARTICULAR = "periarticular"
    SUPERFICIAL = "superficial_dn"
    ELECTRICAL = "electrical_dn"
    PERCUTANEOUS_ELECTROLYSIS = "percutaneous_electrolysis"
    PENS = "pens"
    NEEDLE_TENOTOMY = "needle_tenotomy"

    @property
    def is_electrical(self) -> bool:
        """True where a current passes through the needle, so every electrical-needling
        precaution (pacemaker, current across the chest, epilepsy) applies to it."""
        return self in _ELECTRICAL


_ELECTRICAL = frozenset({Technique.ELECTRICAL, Technique.PENS, Technique.PERCUTANEOUS_ELECTROLYSIS})
