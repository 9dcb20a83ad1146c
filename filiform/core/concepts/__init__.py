"""One value type and one validator per domain concept, shared by every layer and face.

Faces parse into these types, services store them, the engines compute on them. A concept
defined here is never redefined elsewhere (a second spelling of "side" or "technique", a
second region validator, is a bug): import it from ``filiform.core.concepts``.

=====================  ==============================================================
concept                home
=====================  ==============================================================
side, laterality       :mod:`.side` (``Side``, ``Laterality``)
technique              :mod:`.technique` (``Technique``)
pain drawing           :mod:`.drawing` (``DrawnRegion``, ``PainDrawing``, ``validate_regions``)
exam finding           :mod:`.finding` (``FindingKind``, ``Finding``)
needle insertion       :mod:`.insertion` (``Insertion``, ``INSERTION_FIELDS``)
electrical circuit     :mod:`.circuit` (``ElectricalCircuit``, ``circuit_sites``)
needling session       :mod:`.session` (``SessionDetails``, ``NeedlingSession``)
patient                :mod:`.patient` (``Demographics``, ``Sex``)
consent, episode       :mod:`.care` (``ConsentDetails``, ``EpisodeDetails``)
adverse event          :mod:`.adverse_event` (``AdverseEventDetails`` and its taxonomy)
outcome response       :mod:`.outcome` (``OutcomeDetails``)
citation               :mod:`.citation` (``Citation``)
shared scalars         :mod:`.values` (``Strict``, ``PainScore``, ``Note``, ``IsoDate``...)
=====================  ==============================================================

The anatomical site a needle, a circuit end or a rule refers to lives in :mod:`.site`
(``SiteRef``, ``parse_site``, ``vocabulary``).
"""

from filiform.core.concepts.adverse_event import AdverseEventDetails
from filiform.core.concepts.care import ConsentDetails, EpisodeDetails
from filiform.core.concepts.circuit import CircuitSites, ElectricalCircuit, circuit_sites
from filiform.core.concepts.citation import Citation
from filiform.core.concepts.drawing import DrawnRegion, PainDrawing, validate_regions
from filiform.core.concepts.finding import Finding, FindingKind
from filiform.core.concepts.insertion import INSERTION_FIELDS, Insertion
from filiform.core.concepts.outcome import OutcomeDetails
from filiform.core.concepts.patient import Demographics, Sex
from filiform.core.concepts.session import NeedlingSession, SessionDetails
from filiform.core.concepts.side import Laterality, Side
from filiform.core.concepts.technique import Technique

__all__ = [
    "INSERTION_FIELDS",
    "AdverseEventDetails",
    "CircuitSites",
    "Citation",
    "ConsentDetails",
    "Demographics",
    "DrawnRegion",
    "ElectricalCircuit",
    "EpisodeDetails",
    "Finding",
    "FindingKind",
    "Insertion",
    "Laterality",
    "NeedlingSession",
    "OutcomeDetails",
    "PainDrawing",
    "SessionDetails",
    "Sex",
    "Side",
    "Technique",
    "circuit_sites",
    "validate_regions",
]
