"""Patient handouts in Markdown, from a template and the condition and technique data.

The core may not use Jinja2, so the template uses ``string.Template`` placeholders. Every
paragraph comes from data written for reading grade 8 or below (the test suite measures
each section), and the evidence paragraph comes from the condition's ``plain_language``
field, written to match its evidence grade, so a handout cannot claim more than the data do.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from string import Template
from typing import Any

from filiform.core.concepts import Technique
from filiform.core.kb.yaml_source import load_data

from .loader import get_condition, load_techniques
from .models import Condition, Range

_GRADE_WORDS = {
    "moderate": "moderate",
    "low_to_moderate": "low to moderate",
    "low": "low",
    "very_low": "very low",
    "insufficient": "not enough research to judge",
}
_THORAX = (
    "## Needles near the chest: get help fast\n\n"
    "Some needles will be near your chest wall. Rarely, a needle there lets air leak around a lung.\n"
    "This is called a pneumothorax.\n"
    "This can start hours or a day or two later.\n"
    "**Call emergency services or go to an emergency department** if you get chest pain, a hard\n"
    "time breathing, a dry cough or a fast heartbeat. Say you had dry needling near the chest.\n"
)
_BLEEDING = "- You take a blood thinner. Press firmly on any spot that bleeds for five minutes.\n"
_TISSUE_TECHNIQUES = {Technique.TENDON_FENESTRATION, Technique.NEEDLE_TENOTOMY}
_NERVE_TECHNIQUES = {Technique.PERINEURAL, Technique.PENS}


@dataclass(frozen=True)
class ClinicDetails:
    """What a handout tells the patient about who to contact; every field is optional."""

    name: str = ""
    phone: str = ""
    address: str = ""


@lru_cache(maxsize=1)
def handout_content() -> dict[str, Any]:
    """Plain titles and the shared answers, from ``handouts/content.yaml``."""
    data: dict[str, Any] = load_data(
        resources.files("filiform.data").joinpath("handouts/content.yaml"), "handouts/content.yaml"
    )
    return data


def plain_title(condition_id: str) -> str:
    """The condition's name in everyday words (the clinical name is for clinicians)."""
    titles: dict[str, str] = handout_content()["titles"]
    return titles.get(condition_id, get_condition(condition_id).name)


def _span(r: Range) -> str:
    lo, hi = int(r.min), int(r.max)
    return str(lo) if lo == hi else f"{lo} to {hi}"


def _sessions(cond: Condition) -> str:
    weeks = max(1, round(cond.dosing.reevaluate_after_days / 7))
    return Template(handout_content()["sessions"]).substitute(
        min_sessions=int(cond.dosing.sessions.min),
        max_sessions=int(cond.dosing.sessions.max),
        per_week="once" if _span(cond.dosing.per_week) == "1" else _span(cond.dosing.per_week) + " times",
        weeks=weeks,
    )


def _contact_line(clinic: ClinicDetails | None) -> str:
    if clinic is not None and clinic.phone:
        who = clinic.name or "the clinic"
        where = f" ({clinic.address})" if clinic.address else ""
        return f"Call {who}{where} on {clinic.phone} if:"
    return "Contact the clinic that treated you if:"


def _faq(cond: Condition, chosen: Sequence[Technique]) -> str:
    content = handout_content()
    entries: list[dict[str, str]] = []
    if cond.id.startswith("scar"):
        entries.extend(content["scar_faq"])
    if _TISSUE_TECHNIQUES & set(chosen):
        entries.append(content["tissue_faq"])
    return "".join(f"## {e['question']}\n\n{e['answer'].strip()}\n\n" for e in entries)


def render_handout(
    condition_id: str,
    techniques: Sequence[Technique | str] = (),
    *,
    near_chest: bool = False,
    anticoagulated: bool = False,
    clinic: ClinicDetails | None = None,
) -> str:
    """Markdown handout for a condition and the techniques actually planned."""
    cond = get_condition(condition_id)
    specs = load_techniques()
    content = handout_content()
    chosen = list(dict.fromkeys(Technique(t) for t in techniques)) or list(cond.techniques)
    sections = [f"**{specs[t.value].name}.** {specs[t.value].patient_explanation}" for t in chosen]
    grade = _GRADE_WORDS[cond.evidence.grade.value]
    evidence = f"{cond.evidence.plain_language}\n\nQuality of the research: {grade}."
    nerve = bool(_NERVE_TECHNIQUES & set(chosen))
    extra_expect = "".join(f"- {line}\n" for line in content["perineural_expect"]) if nerve else ""
    urgent = (
        "\n" + _THORAX
        if near_chest
        else "\nIf you have chest pain, a hard time breathing or feel very unwell, call emergency services.\n"
    )
    text = resources.files("filiform.data").joinpath("handouts/handout.md").read_text(encoding="utf-8")
    return Template(text).substitute(
        plain_title=plain_title(cond.id),
        patient_summary=cond.patient_summary,
        evidence_plain=evidence,
        technique_sections="\n\n".join(sections),
        sessions=_sessions(cond),
        acupuncture=content["acupuncture"].strip(),
        side_effects=content["side_effects"].strip(),
        extra_expect=extra_expect,
        extra_aftercare=_BLEEDING if anticoagulated else "",
        faq_sections=_faq(cond, chosen),
        contact_line=_contact_line(clinic),
        urgent_section=urgent,
    )
