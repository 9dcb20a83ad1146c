"""One value type and one validator per domain concept, shared by every layer and face.

Faces parse into these types, services store them, the engines compute on them. A concept
defined here is never redefined elsewhere (a second spelling of "side" or "technique" is a
bug): import it from ``filiform.core.concepts``.
"""

from filiform.core.concepts.side import Laterality, Side
from filiform.core.concepts.technique import Technique

__all__ = ["Laterality", "Side", "Technique"]
