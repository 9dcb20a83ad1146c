"""Pain drawing to ranked trigger points (see engine.py for the score)."""

from .engine import MatchEngine, default_engine, match
from .models import DrawnRegion, Finding, MatchResult, PainDrawing, RankedMuscle, RankedTriggerPoint

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
