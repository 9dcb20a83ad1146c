"""Needling techniques: the stable ids used in data files, records and the screening rules.

>>> Technique("electrical_dn").is_electrical
True
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

    @property
    def is_electrical(self) -> bool:
        return self is Technique.ELECTRICAL
