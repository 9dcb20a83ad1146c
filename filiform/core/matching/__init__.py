"""Pain drawing to ranked trigger points (see engine.py for the score).

The drawing types are the shared concepts of :mod:`filiform.core.concepts.drawing`, re-exported here
because the matcher is where most callers meet them.
"""

from filiform.core.concepts import DrawnRegion, Finding, PainDrawing

from .engine import MatchEngine, default_engine, match
from .models import MatchResult, RankedMuscle, RankedTriggerPoint

__all__ = [
    "DrawnRegion",
    "Finding",
    "MatchEngine",
    "MatchResult",
    "PainDrawing",
    "RankedMuscle",
    "RankedTriggerPoint",
    "default_engine",
    "match",
]
