"""Exam findings for one muscle on one side: the one list of finding kinds.

The matcher weighs each kind (``filiform.core.matching.engine.FINDING_WEIGHTS``), the plan
page offers each as a tick box and the API accepts each as a field: all from
:class:`FindingKind`, so a kind added here appears everywhere at once.

>>> ticks = parse_finding_ticks(["upper_trapezius:right:taut_band"], {"upper_trapezius"})
>>> ticks[0].kinds
(<FindingKind.TAUT_BAND: 'taut_band'>,)
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, Field

from filiform.core.concepts.side import Side
from filiform.core.concepts.values import Strict, enum_of
from filiform.errors import ValidationFailed


class FindingKind(StrEnum):
    """What an examiner can find at a muscle; the value is the field name on :class:`Finding`.

    Listed most telling first (recognised pain, then twitch response), the order every face
    shows them in.
    """

    RECOGNISED_PAIN = "recognised_pain"
    TWITCH_RESPONSE = "twitch_response"
    SPOT_TENDERNESS = "spot_tenderness"
    TAUT_BAND = "taut_band"
    WEAKNESS = "weakness"
    RESTRICTED_RANGE = "restricted_range"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Finding(Strict):
    """Exam findings for one muscle on one side; each true finding raises that muscle."""

    muscle: Annotated[str, Field(min_length=2, max_length=80)]
    side: Annotated[Side, BeforeValidator(enum_of(Side))]
    taut_band: bool = False
    spot_tenderness: bool = False
    recognised_pain: bool = False
    twitch_response: bool = False
    weakness: bool = False
    restricted_range: bool = False

    @property
    def kinds(self) -> tuple[FindingKind, ...]:
        """The findings present, in :class:`FindingKind` order."""
        return tuple(kind for kind in FindingKind if getattr(self, kind.value))

    @classmethod
    def of(cls, muscle: str, side: Side, kinds: Iterable[FindingKind]) -> Finding:
        return cls.model_validate({"muscle": muscle, "side": side, **{k.value: True for k in kinds}})


_SIDES = frozenset(s.value for s in Side)
_KINDS = frozenset(k.value for k in FindingKind)


def parse_finding_ticks(raw: Iterable[str], muscles: Collection[str]) -> list[Finding]:
    """``muscle:side:kind`` ticks (plan page, query strings) merged into one finding per muscle and side."""
    merged: dict[tuple[str, Side], set[FindingKind]] = {}
    for item in raw:
        muscle, _, rest = item.partition(":")
        side, _, kind = rest.partition(":")
        if muscle not in muscles or side not in _SIDES or kind not in _KINDS:
            raise ValidationFailed(f"not a valid exam finding: '{item[:80]}'")
        merged.setdefault((muscle, Side(side)), set()).add(FindingKind(kind))
    return [Finding.of(m, side, kinds) for (m, side), kinds in merged.items()]
