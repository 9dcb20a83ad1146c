"""The patient's health-question form: which input each question gets, and reading it back.

Only parsing lives here (form text to plain answer data); the answers are validated by
``Intake`` in :func:`filiform.services.portal.intake.submit_intake`.  Questions whose
clinician form asks for sites or dates get a free-text "where (and when)" box instead.
"""

from __future__ import annotations

from typing import Any

from filiform.core.portal import plain_questions as pq
from filiform.core.safety.intake import DATED_LISTS, SITE_LISTS, PatientBody
from filiform.locale import gettext as _

WHERE = {parent: name for name, parent in SITE_LISTS.items()}
WHERE_WHEN = {parent: name for name, parent in DATED_LISTS.items()}
OPTIONS = {"yesno": pq.YES_NO_ANSWERS, "choice": pq.ANTICOAGULANT_CHOICES, "trimester": pq.TRIMESTER_CHOICES}
NUMBER_LIMITS = {"inr": (0.5, 15.0), "age": (0, 120), "height_cm": (50, 260), "weight_kg": (2, 400)}


def _kind(name: str) -> str:
    if name == "anticoagulant":
        return "choice"
    if name == "pregnancy_trimester":
        return "trimester"
    if name == "bmi":
        return "body"
    if name in ("inr", "age"):
        return "number"
    return "yesno"


def intake_fields() -> list[dict[str, Any]]:
    """Sections of fields, each field with its plain question and input kind."""
    return [
        {
            "title": title,
            "fields": [
                {
                    "name": name,
                    "text": pq.PLAIN_QUESTIONS[name],
                    "kind": _kind(name),
                    "options": list(OPTIONS.get(_kind(name), {}).items()),
                    "where": pq.WHERE_PROMPT if name in WHERE else pq.WHERE_WHEN_PROMPT if name in WHERE_WHEN else None,
                }
                for name in names
            ],
        }
        for title, names in pq.SECTIONS
    ]


def _number(form: dict[str, str], name: str, errors: list[str], label: str) -> float | None:
    raw = form.get(name, "").strip().replace(",", ".")
    if not raw:
        return None
    low, high = NUMBER_LIMITS[name]
    try:
        value = float(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        errors.append(
            _("Please write a number between %(low)s and %(high)s: %(q)s") % {"low": low, "high": high, "q": label}
        )
        return None
    return value


def parse_intake(form: dict[str, str]) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """(answers for ``Intake``, where/when notes by question, plain error messages)."""
    answers: dict[str, Any] = {}
    notes: dict[str, str] = {}
    errors: list[str] = []
    for section in intake_fields():
        for field in section["fields"]:
            name, kind = field["name"], field["kind"]
            raw = form.get(name, "").strip()
            if (kind == "yesno" and raw in pq.YES_NO_ANSWERS) or (kind == "choice" and raw in pq.ANTICOAGULANT_CHOICES):
                answers[name] = raw
            elif kind == "trimester" and raw in pq.TRIMESTER_CHOICES:
                answers[name] = int(raw)
            elif kind == "number":
                value = _number(form, name, errors, _(field["text"]))
                if value is not None:
                    answers[name] = int(value) if name == "age" else value
            if field["where"] and form.get(f"where_{name}", "").strip():
                notes[name] = form[f"where_{name}"]
    height = _number(form, "height_cm", errors, _(pq.PLAIN_QUESTIONS["bmi"]))
    weight = _number(form, "weight_kg", errors, _(pq.PLAIN_QUESTIONS["bmi"]))
    if height and weight:
        bmi = PatientBody(height_cm=height, weight_kg=weight).bmi_value
        if bmi is not None and 10 < bmi < 80:
            answers["bmi"] = bmi
            notes["bmi"] = f"{height:g} cm, {weight:g} kg"
        else:
            errors.append(_("Please check your height and weight."))
    if "pregnancy_trimester" in answers and answers.get("pregnant") != "yes":
        errors.append(_("You said how far along your pregnancy is. Please also answer Yes to being pregnant."))
    return answers, notes, errors
