"""The intake answers screening runs on, and the body measures needle guidance uses.

Every question defaults to ``"unknown"`` (or ``None`` for numbers) on purpose: a form that
was never filled in must not look like a form full of "no". The rules file gives every
question an explicit unknown path, and the engine lists each unanswered question in
``missing_answers``. Answers that contradict each other (``pregnant: no`` with a
trimester; ``local_infection_or_lesion: no`` with lesion sites) are refused with both
answers named: the permissive reading would hide a risk.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from filiform.core.concepts.site import SiteAnswer, parse_site, vocabulary
from filiform.errors import ValidationFailed

from .questions import CLEAR_ANSWERS, DATED_LISTS, FOLLOW_UPS, QUESTIONS, SITE_LISTS

__all__ = [
    "CLEAR_ANSWERS",
    "DATED_LISTS",
    "FOLLOW_UPS",
    "QUESTIONS",
    "SITE_LISTS",
    "DatedSite",
    "Intake",
    "MuscleInjury",
    "PatientBody",
]

YesNo = Literal["yes", "no", "unknown"]
Anticoagulant = Literal["no", "vka", "doac", "heparin", "other", "unknown"]
TargetId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=80)]


def _plain(value: object) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


class DatedSite(BaseModel):
    """Something done at a site on a date (a corticosteroid injection)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    site: SiteAnswer
    on: date


class MuscleInjury(BaseModel):
    """An acute muscle injury: which muscle (knowledge-base target id), which side, when."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    target: TargetId
    side: Literal["left", "right"]
    on: date


class Intake(BaseModel):
    """Answers to the screening questionnaire. Sites are ``side:site`` (see ``concepts.site``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    capacity_to_consent: YesNo = "unknown"
    consents_to_needling: YesNo = "unknown"
    guardian_consent: YesNo = "unknown"
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
    lymphoedema_sites: tuple[SiteAnswer, ...] = ()
    implanted_electrical_device: YesNo = "unknown"
    implants: YesNo = "unknown"
    implant_sites: tuple[SiteAnswer, ...] = ()
    joint_replacement: YesNo = "unknown"
    joint_replacement_sites: tuple[SiteAnswer, ...] = ()
    local_infection_or_lesion: YesNo = "unknown"
    lesion_sites: tuple[SiteAnswer, ...] = ()
    malignancy_at_site: YesNo = "unknown"
    malignancy_sites: tuple[SiteAnswer, ...] = ()
    thrombosis_at_site: YesNo = "unknown"
    thrombosis_sites: tuple[SiteAnswer, ...] = ()
    immunosuppressed: YesNo = "unknown"
    heart_valve_disease: YesNo = "unknown"
    diabetes: YesNo = "unknown"
    impaired_sensation: YesNo = "unknown"
    epilepsy: YesNo = "unknown"
    epilepsy_controlled: YesNo = "unknown"
    vasovagal_history: YesNo = "unknown"
    metal_allergy: YesNo = "unknown"
    keloid_tendency: YesNo = "unknown"
    recent_surgery: YesNo = "unknown"
    surgery_sites: tuple[SiteAnswer, ...] = ()
    spinal_surgery: YesNo = "unknown"
    spinal_surgery_sites: tuple[SiteAnswer, ...] = ()
    corticosteroid_injection: YesNo = "unknown"
    corticosteroid_injections: tuple[DatedSite, ...] = ()
    fluoroquinolone: YesNo = "unknown"
    acute_muscle_injury: YesNo = "unknown"
    muscle_injuries: tuple[MuscleInjury, ...] = ()
    lung_disease: YesNo = "unknown"
    bmi: Annotated[float, Field(gt=10, lt=80)] | None = None
    age: Annotated[int, Field(ge=0, le=120)] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Intake:
        """Refuse answers that contradict each other, naming both (never pick the permissive one)."""
        problems: list[str] = []
        if self.pregnancy_trimester is not None and self.pregnant != "yes":
            problems.append(
                f"pregnancy_trimester={self.pregnancy_trimester} contradicts pregnant={self.pregnant}: "
                "answer pregnant=yes or remove the trimester"
            )
        for name, parent in {**SITE_LISTS, **DATED_LISTS}.items():
            listed = getattr(self, name)
            if listed and getattr(self, parent) != "yes":
                shown = ", ".join(_entry_text(x) for x in listed[:3])
                problems.append(
                    f"{name}=[{shown}] contradicts {parent}={getattr(self, parent)}: answer {parent}=yes "
                    "or remove the sites"
                )
        spine = [s for s in self.spinal_surgery_sites if "spine" not in vocabulary().tags(parse_site(s).site)]
        if spine:
            problems.append(f"spinal_surgery_sites must name spine levels (e.g. spine_l4), not {', '.join(spine)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

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


def _entry_text(entry: object) -> str:
    if isinstance(entry, DatedSite):
        return f"{entry.site}@{entry.on.isoformat()}"
    if isinstance(entry, MuscleInjury):
        return f"{entry.target}:{entry.side}@{entry.on.isoformat()}"
    return str(entry)


def parse_dated_site(text: str) -> dict[str, str]:
    """``left:elbow_joint@2026-01-10`` (as typed on a form or the command line) to plain data."""
    site, sep, on = text.strip().rpartition("@")
    if not sep or not site:
        raise ValidationFailed(f"'{text[:60]}': write site@YYYY-MM-DD, e.g. left:elbow_joint@2026-01-10")
    return {"site": site.strip(), "on": on.strip()}


def parse_muscle_injury(text: str) -> dict[str, str]:
    """``gastrocnemius:left@2026-03-01`` to plain data."""
    head, sep, on = text.strip().rpartition("@")
    target, _, side = head.rpartition(":")
    if not sep or not target or side not in ("left", "right"):
        raise ValidationFailed(f"'{text[:60]}': write muscle:side@YYYY-MM-DD, e.g. gastrocnemius:left@2026-03-01")
    return {"target": target.strip(), "side": side, "on": on.strip()}


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

    def with_intake(self, intake: Intake) -> PatientBody:
        """This body with the screening's BMI and age filled in where the body lacks them."""
        update: dict[str, object] = {}
        if self.bmi_value is None and intake.bmi is not None:
            update["bmi"] = intake.bmi
        if self.age is None and intake.age is not None:
            update["age"] = intake.age
        return self.model_copy(update=update) if update else self
