"""Human words for stable ids (techniques, decisions, sides), shared by the page modules."""

from __future__ import annotations

from filiform.core.concepts import Technique

TECHNIQUE_NAMES: dict[str, str] = {
    Technique.TRIGGER_POINT.value: "Trigger-point dry needling",
    Technique.STATIC.value: "Static (retained) needling",
    Technique.TENDON_FENESTRATION.value: "Tendon fenestration",
    Technique.PERINEURAL.value: "Perineural needling",
    Technique.PERIARTICULAR.value: "Periarticular needling",
    Technique.SUPERFICIAL.value: "Superficial dry needling",
    Technique.ELECTRICAL.value: "Electrical dry needling",
    Technique.PERCUTANEOUS_ELECTROLYSIS.value: "Percutaneous electrolysis",
    Technique.PENS.value: "Percutaneous electrical nerve stimulation (PENS)",
    Technique.NEEDLE_TENOTOMY.value: "Hypodermic-needle tenotomy",
}
DECISION_NAMES = {"go": "Go", "caution": "Caution", "do_not_needle": "Do not needle"}
