"""The intake answers screening runs on, and the sites a screening is asked about.

Every question defaults to ``"unknown"`` (or ``None`` for numbers) on purpose: a form that
was never filled in must not look like a form full of "no". The rules file gives every
question an explicit unknown path (caution, or do-not-needle where a wrong guess would be
dangerous), and the engine lists each unanswered question in ``missing_answers``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from filiform.core.kb.models import BodyArea
from filiform.errors import ValidationFailed

YesNo = Literal["yes", "no", "unknown"]
Anticoagulant = Literal["no", "vka", "doac", "heparin", "other", "unknown"]

_AREAS = "|".join(a.value for a in BodyArea)
SITE_PATTERN = rf"^((left|right):)?({_AREAS})$"
SiteArea = Annotated[str, Field(pattern=SITE_PATTERN)]
"""A body area, optionally with the patient's side: ``arm`` (either side) or ``left:arm``."""


def _plain(value: object) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


class Intake(BaseModel):
    """Answers to the screening questionnaire. Sites name body areas (see ``SiteArea``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    capacity_to_consent: YesNo = "unknown"
    consents_to_needling: YesNo = "unknown"
    needle_phobia: YesNo = "unknown"
    acute_illness: YesNo = "unknown"
    red_flags: YesNo = "unknown"
    anticoagulant: Anticoagulant = "unknown"
    inr: Annotated[float, Field(ge=0.5, le=15)] | None = None
    antiplatelet: YesNo = "unknown"
    bleeding_disorder: YesNo = "unknown"
    pregnant: YesNo = "unknown"
    pregnancy_trimester: Literal[1, 2, 3] | None = None
    lymphoedema: YesNo = "unknown"
    lymphoedema_sites: tuple[SiteArea, ...] = ()
    implanted_electrical_device: YesNo = "unknown"
    implants: YesNo = "unknown"
    implant_sites: tuple[SiteArea, ...] = ()
    local_infection_or_lesion: YesNo = "unknown"
    lesion_sites: tuple[SiteArea, ...] = ()
    immunosuppressed: YesNo = "unknown"
    heart_valve_disease: YesNo = "unknown"
    diabetes: YesNo = "unknown"
    impaired_sensation: YesNo = "unknown"
    epilepsy: YesNo = "unknown"
    epilepsy_controlled: YesNo = "unknown"
    vasovagal_history: YesNo = "unknown"
    metal_allergy: YesNo = "unknown"
    recent_surgery: YesNo = "unknown"
    surgery_sites: tuple[SiteArea, ...] = ()
    lung_disease: YesNo = "unknown"
    age: Annotated[int, Field(ge=0, le=120)] | None = None

    @classmethod
    def from_data(cls, data: Mapping[str, object]) -> Intake:
        """Validate plain data (as from JSON or YAML) strictly: lists may become tuples, nothing else."""
        try:
            payload = json.dumps(dict(data))
        except (TypeError, ValueError):
            bad = sorted(str(k) for k, v in data.items() if not _plain(v))
            raise ValidationFailed(
                "intake answers must be plain text, numbers or lists"
                + (f" (not dates or other objects): {', '.join(bad)}" if bad else "")
            ) from None
        return cls.model_validate_json(payload, strict=True)


QUESTIONS: dict[str, str] = {
    "capacity_to_consent": "Can the patient understand the risks and give informed consent?",
    "consents_to_needling": "Has the patient agreed to dry needling after the risks were explained?",
    "needle_phobia": "Does the patient have a fear of needles that stops treatment?",
    "acute_illness": "Is there an acute or unstable illness, fever or medical emergency today?",
    "red_flags": "Are there undiagnosed red-flag signs (weight loss, night pain, progressive neurological loss...)?",
    "anticoagulant": "Does the patient take an anticoagulant (vka = warfarin-type, doac, heparin, other)?",
    "inr": "Most recent INR (for warfarin-type drugs)",
    "antiplatelet": "Does the patient take an antiplatelet drug (aspirin, clopidogrel...)?",
    "bleeding_disorder": "Is there a bleeding disorder or low platelet count?",
    "pregnant": "Is the patient pregnant or possibly pregnant?",
    "pregnancy_trimester": "Trimester of pregnancy (1, 2 or 3)",
    "lymphoedema": "Is there lymphoedema, or a limb at risk of it (e.g. after node removal)?",
    "implanted_electrical_device": "Pacemaker, defibrillator, nerve stimulator or drug pump?",
    "implants": "Other implants (breast, joint replacement, metal plates) near treatment areas?",
    "local_infection_or_lesion": "Infection, wound, skin lesion or inflamed skin at a treatment area?",
    "immunosuppressed": "Immunosuppression (chemotherapy, neutropenia, transplant drugs, untreated HIV)?",
    "heart_valve_disease": "Heart valve disease, prosthetic valve or previous endocarditis?",
    "diabetes": "Diabetes?",
    "impaired_sensation": "Reduced sensation, or difficulty communicating what is felt?",
    "epilepsy": "Epilepsy?",
    "epilepsy_controlled": "If epilepsy: is it well controlled?",
    "vasovagal_history": "Has the patient fainted with needles, blood tests or injections before?",
    "metal_allergy": "Allergy to nickel, chromium or other metals?",
    "recent_surgery": "Surgery in the last three months?",
    "lung_disease": "Emphysema, COPD, previous pneumothorax or other lung disease?",
    "age": "Patient's age in years",
}
"""Plain questions for forms and for the ``missing_answers`` list."""

CLEAR_ANSWERS: dict[str, str] = {
    name: "yes" if name in ("capacity_to_consent", "consents_to_needling", "epilepsy_controlled") else "no"
    for name in QUESTIONS
    if name not in ("inr", "pregnancy_trimester", "age")
}
"""The no-risk answer to each yes/no question (for a clinician who asked them all)."""

SITE_LISTS = {
    "lymphoedema_sites": "lymphoedema",
    "implant_sites": "implants",
    "lesion_sites": "local_infection_or_lesion",
    "surgery_sites": "recent_surgery",
}
"""Which yes/no question each site list qualifies."""


class PatientBody(BaseModel):
    """Body measures that change needle length and safe depth."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    height_cm: Annotated[float, Field(gt=50, lt=260)] | None = None
    weight_kg: Annotated[float, Field(gt=2, lt=400)] | None = None
    bmi: Annotated[float, Field(gt=10, lt=80)] | None = None
    sex: Literal["female", "male"] | None = None
    age: Annotated[int, Field(ge=0, le=120)] | None = None

    @property
    def bmi_value(self) -> float | None:
        """BMI as given, or computed from height and weight when both are known."""
        if self.bmi is not None:
            return self.bmi
        if self.height_cm and self.weight_kg:
            return round(self.weight_kg / (self.height_cm / 100) ** 2, 1)
        return None


class Site(BaseModel):
    """One place a clinician means to needle: what the rules need to know about it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    area: BodyArea
    side: Literal["left", "right"] | None = None
    target: str | None = None
    lung_adjacent: bool = False
    compressible: bool = True

    @property
    def label(self) -> str:
        where = f"{self.side}:{self.area.value}" if self.side else self.area.value
        return f"{self.target}@{where}" if self.target else where

    @field_validator("target")
    @classmethod
    def _target_id(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[a-z0-9][a-z0-9_]*", value):
            raise ValueError("target ids are lower-case words joined by underscores")
        return value


def site_matches(site: Site, listed: str) -> bool:
    """True when ``listed`` (``arm`` or ``left:arm``) covers ``site``.

    A listed area without a side covers both sides; a site without a side (side not yet
    decided) is covered by either side, so the restriction errs towards applying.
    """
    side, _, area = listed.rpartition(":")
    if area != site.area.value:
        return False
    return not side or site.side is None or side == site.side
