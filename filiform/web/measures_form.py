"""An instrument as a form a clinician fills on a tablet: one row of answer buttons per item.

Item wording is shown where the instrument's licence lets Filiform ship it; otherwise each
item shows its short label and the scale's anchors at both ends, so no item is a bare
number. Items the patient names (the PSFS activities) get a text field for the patient's
own words, filled in with the activities named last time.
"""

from __future__ import annotations

from typing import Any

from filiform.core.outcomes import Instrument, ScoreResult
from filiform.core.outcomes.models import ScaleKind

MAX_BUTTONS = 11


def _options(inst: Instrument, item: Any) -> list[dict[str, str]]:
    scale = inst.scale_of(item)
    values: list[tuple[str, str]] = []
    if scale.kind is ScaleKind.INTEGER and scale.min is not None and scale.max is not None:
        if scale.max - scale.min < MAX_BUTTONS:
            values = [(str(v), scale.anchors.get(v, "")) for v in range(scale.min, scale.max + 1)]
    elif scale.kind is ScaleKind.CHOICE:
        values = [(str(v), scale.anchors.get(v, "")) for v in scale.values]
    elif scale.kind is ScaleKind.YES_NO:
        values = [("1", "yes"), ("0", "no")]
    every = all(w for _v, w in values)  # words on the buttons only when each answer has one
    out = [
        {"value": v, "n": w.capitalize() if scale.kind is ScaleKind.YES_NO else v, "word": w if every else ""}
        for v, w in values
    ]
    if scale.kind is ScaleKind.YES_NO:
        for o in out:
            o["word"] = ""
    if out and scale.not_applicable:
        out.append({"value": "na", "n": "n/a", "word": "not applicable"})
    return out


def _anchors(inst: Instrument, item: Any) -> tuple[str, str] | None:
    scale = inst.scale_of(item)
    if scale.kind is not ScaleKind.INTEGER or scale.min is None or scale.max is None:
        return None
    low, high = scale.anchors.get(scale.min), scale.anchors.get(scale.max)
    if (not low and not high) or all(scale.anchors.get(v) for v in range(scale.min, scale.max + 1)):
        return None
    return (f"{scale.min} = {low}" if low else "", f"{scale.max} = {high}" if high else "")


def item_inputs(inst: Instrument, activities: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Each item with its input: answer buttons for short closed scales, else a text box."""
    named = activities or {}
    return [
        {
            "id": item.id,
            "label": item.text or item.label,
            "options": _options(inst, item),
            "anchors": _anchors(inst, item),
            "hint": inst.scale_of(item).describe(),
            "named": item.named_by_patient,
            "activity": named.get(item.id, ""),
        }
        for item in inst.items
    ]


def answers_from(form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The form's answers (``item-<id>``) and activity names (``activity-<id>``), empty ones left out."""
    answers = {k.removeprefix("item-"): v.strip() for k, v in form.items() if k.startswith("item-") and v.strip()}
    named = {k.removeprefix("activity-"): v.strip() for k, v in form.items() if k.startswith("activity-") and v.strip()}
    return answers, named


def score_words(inst: Instrument, result: ScoreResult) -> str:
    """The range and direction of a score, in words ("0 to 100 %, lower is better")."""
    better = "higher" if result.higher_is_better else "lower"
    return f"{result.range_min:g} to {result.range_max:g} {result.unit}, {better} is better"
