"""The screening questionnaire as a form: grouped rows, "none of the following", the result table.

Every question starts at "not asked" (``unknown`` in ``Intake``): an unasked question is
a caution, never a silent "no". A group's "none of the following" box, ticked on purpose
by the clinician, answers each question of the group still at "not asked" with its no-risk
answer (``CLEAR_ANSWERS``); a group ticked "none" with one of its questions answered as a
risk is refused (the two answers contradict each other, and the stricter reading would be
a guess). The consent questions come from the consent page when it confirmed them.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from filiform.core.concepts.site import vocabulary
from filiform.core.concepts.values import field_words, plain_message
from filiform.core.safety.decision import Decision, Reason, ScreeningResult
from filiform.core.safety.intake import (
    CLEAR_ANSWERS,
    DATED_LISTS,
    FOLLOW_UPS,
    QUESTIONS,
    SITE_LISTS,
    Intake,
    parse_dated_site,
    parse_muscle_injury,
)
from filiform.core.safety.questions import QUESTION_GROUPS
from filiform.errors import ValidationFailed

from .labels import DECISION_NAMES, TECHNIQUE_NAMES

SELECTS: dict[str, tuple[tuple[str, str], ...]] = {
    "anticoagulant": (
        ("unknown", "Not asked"),
        ("no", "No"),
        ("vka", "Warfarin-type (VKA)"),
        ("doac", "DOAC (apixaban, rivaroxaban…)"),
        ("heparin", "Heparin"),
        ("other", "Other"),
    ),
    "pregnancy_trimester": (("", "–"), ("1", "1st"), ("2", "2nd"), ("3", "3rd")),
}
NUMBERS = {"inr": ("0.1", "0.5", "15"), "age": ("1", "0", "120"), "bmi": ("0.1", "10", "80")}
LIST_HINTS = {
    "corticosteroid_injections": "Where and when, e.g. left:elbow_joint@2026-01-10",
    "muscle_injuries": "Which muscle and when, e.g. gastrocnemius:left@2026-03-01",
}
SITE_HINT = "Where, e.g. left:knee_joint, spine_l4 (start typing for suggestions)"


def _slug(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")


def fields() -> list[dict[str, Any]]:
    """One entry per question, in the questionnaire's order, with its input kind."""
    out: list[dict[str, Any]] = []
    lists_by_parent = {parent: name for name, parent in {**SITE_LISTS, **DATED_LISTS}.items()}
    for name, text in QUESTIONS.items():
        kind = "select" if name in SELECTS else "number" if name in NUMBERS else "yesno"
        listed = lists_by_parent.get(name)
        parent = FOLLOW_UPS.get(name)
        out.append(
            {
                "name": name,
                "text": text,
                "kind": kind,
                "options": SELECTS.get(name, ()),
                "number": NUMBERS.get(name),
                "clear": CLEAR_ANSWERS.get(name) if parent is None else None,
                "follow_up": parent is not None,
                "sites": listed,
                "hint": LIST_HINTS.get(listed or "", SITE_HINT),
            }
        )
    return out


def groups(carried: dict[str, str]) -> list[dict[str, Any]]:
    """The questionnaire in groups for the page; questions the consent page answered are left out."""
    by_name = {f["name"]: f for f in fields()}
    out = []
    for title, names in QUESTION_GROUPS:
        rows = [by_name[n] for n in names if n not in carried]
        if rows:
            clearable = any(r["clear"] and r["kind"] != "number" for r in rows)
            out.append({"title": title, "id": f"grp-{_slug(title)}", "rows": rows, "none": clearable})
    return out


def site_options() -> list[str]:
    """Every site answer the vocabulary accepts, for the form's suggestion list."""
    out: list[str] = []
    for spec in vocabulary().specs.values():
        out += [f"left:{spec.id}", f"right:{spec.id}"] if spec.sided else [spec.id]
    return out


def _number(raw: str, name: str, kind: type[int] | type[float]) -> int | float:
    try:
        return kind(raw.replace(",", "."))
    except ValueError:
        raise ValidationFailed(f"{QUESTIONS.get(name, name)}: '{raw[:20]}' is not a number") from None


def apply_none_of(form: dict[str, str]) -> dict[str, str]:
    """The form with each "none of the following" group answered; contradictions refused."""
    out = dict(form)
    problems: list[str] = []
    for title, names in QUESTION_GROUPS:
        if form.get(f"none-{_slug(title)}") != "yes":
            continue
        for name in names:
            clear = CLEAR_ANSWERS.get(name)
            if clear is None or name in FOLLOW_UPS:
                continue
            given = form.get(name, "").strip()
            if given in ("", "unknown"):
                out[name] = clear
            elif given != clear:
                problems.append(
                    f"{title}: “none of the following” is ticked, but “{QUESTIONS[name]}” is answered "
                    f"{given}: untick one of them"
                )
    if problems:
        raise ValidationFailed("Some answers contradict each other", details=problems)
    return out


def intake_from_form(form: dict[str, str]) -> Intake:
    """Form strings to the strict ``Intake`` model (numbers parsed, site lists split)."""
    data: dict[str, Any] = {}
    for f in fields():
        raw = form.get(f["name"], "").strip()
        if f["kind"] == "yesno" and raw in ("yes", "no", "unknown"):
            data[f["name"]] = raw
        elif f["name"] == "anticoagulant" and raw:
            data["anticoagulant"] = raw
        elif f["name"] in ("pregnancy_trimester", "age") and raw:
            data[f["name"]] = _number(raw, f["name"], int)
        elif f["name"] in ("inr", "bmi") and raw:
            data[f["name"]] = _number(raw, f["name"], float)
    for list_name in SITE_LISTS:
        data[list_name] = [x.strip() for x in form.get(list_name, "").split(",") if x.strip()]
    items = [x.strip() for x in form.get("corticosteroid_injections", "").split(",") if x.strip()]
    data["corticosteroid_injections"] = [parse_dated_site(x) for x in items]
    items = [x.strip() for x in form.get("muscle_injuries", "").split(",") if x.strip()]
    data["muscle_injuries"] = [parse_muscle_injury(x) for x in items]
    return Intake.from_data(data)


_LISTED = re.compile(r"(\w+)=\[(.*?)\] contradicts (\w+)=(\w+)")
_TRIMESTER = re.compile(r"pregnancy_trimester=(\d) contradicts pregnant=(\w+)")


def _contradiction(text: str) -> str | None:
    """The intake's contradiction messages (written for the command line) in a clinician's words."""
    found = _LISTED.match(text)
    if found:
        sites, parent, value = found.group(2), found.group(3), found.group(4)
        asked = QUESTIONS.get(parent, parent)
        return f"Sites are listed ({sites}) but “{asked}” is answered “{value}”: answer yes, or remove the sites"
    found = _TRIMESTER.match(text)
    if found:
        return (
            f"A trimester ({found.group(1)}) is given but “{QUESTIONS['pregnant']}” is answered "
            f"“{found.group(2)}”: answer yes, or remove the trimester"
        )
    return None


def readable(exc: ValidationError) -> list[str]:
    """Intake refusals with the question's words ("Patient's age in years: must be 120 or less")."""
    out: list[str] = []
    for err in exc.errors():
        first = err["loc"][0] if err["loc"] else ""
        message = plain_message(err)
        parts = [_contradiction(p.strip()) for p in message.split("; ")] if not first else []
        if parts and all(parts):
            out.extend(p for p in parts if p)
            continue
        where = (QUESTIONS.get(str(first)) or field_words(err["loc"])) if first else ""
        out.append(f"{where}: {message}" if where else message.replace("_", " "))
    return out


def result_table(result: ScreeningResult) -> dict[str, Any]:
    """The decision as one table: techniques with the same decision and reasons share a row,
    each reason and precaution is written once, numbered, and rows point to the numbers."""
    reasons: list[Reason] = []
    precautions: dict[str, list[str]] = {}
    rows: dict[tuple[str, tuple[int, ...]], list[str]] = {}
    ids: dict[tuple[str, tuple[int, ...]], list[str]] = {}
    for td in result.techniques:
        numbers = []
        for r in td.reasons:
            if r not in reasons:
                reasons.append(r)
            numbers.append(reasons.index(r) + 1)
        name = TECHNIQUE_NAMES.get(td.technique.value, td.technique.value)
        for p in td.precautions:
            precautions.setdefault(p, []).append(name)
        key = (td.decision.value, tuple(sorted(set(numbers))))
        rows.setdefault(key, []).append(name)
        ids.setdefault(key, []).append(td.technique.value)
    severity = {d.value: d.severity for d in Decision}
    ordered = sorted(rows.items(), key=lambda kv: (-severity[kv[0][0]], kv[0][1]))
    every = len(result.techniques)
    return {
        "rows": [
            {
                "decision": d,
                "word": DECISION_NAMES[d],
                "techniques": names,
                "ids": ids[(d, numbers)],
                "reasons": numbers,
            }
            for (d, numbers), names in ordered
        ],
        "reasons": reasons,
        "precautions": [
            {"text": text, "techniques": names if len(names) < every else []} for text, names in precautions.items()
        ],
    }
