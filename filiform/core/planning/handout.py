"""Patient handouts in Markdown, from a template and the condition and technique data.

The core may not use Jinja2, so the template uses ``string.Template`` placeholders. The
evidence paragraph comes from the condition's ``plain_language`` field, written to match
its evidence grade, so a handout cannot claim more than the data do.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from string import Template

from filiform.core.concepts import Technique

from .loader import get_condition, load_techniques

_GRADE_WORDS = {
    "moderate": "moderate",
    "low_to_moderate": "low to moderate",
    "low": "low",
    "very_low": "very low",
    "insufficient": "not enough research to judge",
}
_THORAX = (
    "## Needles near the chest: get help urgently\n\n"
    "Some of your needles will be near the chest wall. Rarely, a needle there can let air leak\n"
    "around a lung (a pneumothorax). Symptoms can start hours or even a day or two later.\n"
    "**Call emergency services or go to an emergency department** if you get chest pain,\n"
    "shortness of breath, a dry cough or a fast heartbeat after treatment, and say you had\n"
    "dry needling near the chest.\n"
)
_BLEEDING = "- You take a blood thinner: press firmly on any site that bleeds for five minutes.\n"


def render_handout(
    condition_id: str,
    techniques: Sequence[Technique | str] = (),
    *,
    near_chest: bool = False,
    anticoagulated: bool = False,
) -> str:
    """Markdown handout for a condition and the techniques actually planned."""
    cond = get_condition(condition_id)
    specs = load_techniques()
    chosen = [Technique(t) for t in techniques] or list(cond.techniques)
    sections = []
    for tech in dict.fromkeys(chosen):
        spec = specs[tech.value]
        sections.append(f"**{spec.name}.** {spec.patient_explanation}")
    grade = _GRADE_WORDS[cond.evidence.grade.value]
    evidence = f"{cond.evidence.plain_language} (Quality of the research: {grade}.)"
    urgent = "\n" + _THORAX if near_chest else ""
    urgent += (
        "\nIf you have chest pain, sudden breathlessness or feel very unwell, call emergency services.\n"
        if not near_chest
        else ""
    )
    text = resources.files("filiform.data").joinpath("handouts/handout.md").read_text(encoding="utf-8")
    return Template(text).substitute(
        condition_name=cond.name.lower() if cond.name[1:2].islower() else cond.name,
        patient_summary=cond.patient_summary,
        evidence_plain=evidence,
        technique_sections="\n\n".join(sections),
        extra_aftercare=_BLEEDING if anticoagulated else "",
        urgent_section=urgent,
    )
