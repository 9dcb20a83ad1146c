"""``filiform plan`` and ``filiform screen``: treatment plans and safety screening.

Intake answers come from a JSON/YAML file (``--intake``) and/or ``--answer key=value``; an
answer given in both with different values is an error, never a silent override, and so is
a key written twice in the file. Unanswered questions stay unknown and are reported;
``--rest-clear`` records the no-risk answer (consent yes, risk factors no) for every
question not otherwise answered, for a clinician who has asked them all.

Exit codes (both commands): 0 go; 3 caution (needling may go ahead with the precautions
shown); 4 do not needle (at least one technique, site or circuit); 2 bad input.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer
from pydantic import ValidationError
from rich.markup import escape

from filiform.cli.output import fail, print_json
from filiform.cli.plan_print import print_plan, print_screening
from filiform.core.atlas.build import load_atlas
from filiform.core.kb.loader import load_kb
from filiform.core.kb.yaml_source import YamlSyntaxError, parse
from filiform.core.matching import PainDrawing
from filiform.core.matching.parse import drawing_from_data
from filiform.core.planning.handout import render_handout
from filiform.core.planning.loader import load_conditions
from filiform.core.planning.plan import PlanRequest, build_plan
from filiform.core.safety.circuits import CircuitPath
from filiform.core.safety.intake import (
    CLEAR_ANSWERS,
    SITE_LISTS,
    Intake,
    PatientBody,
    parse_dated_site,
    parse_muscle_injury,
)
from filiform.core.safety.screening import evaluate
from filiform.core.safety.sites import planned_sites
from filiform.errors import FiliformError

EXIT_GO, EXIT_CAUTION, EXIT_DO_NOT_NEEDLE = 0, 3, 4
_EXIT = {"go": EXIT_GO, "caution": EXIT_CAUTION, "do_not_needle": EXIT_DO_NOT_NEEDLE}
_INT_FIELDS = {"age", "pregnancy_trimester"}
_FLOAT_FIELDS = {"inr", "bmi"}


def _load_mapping(path: Path) -> dict[str, Any]:
    if not path.is_file():
        fail(escape(f"no such file: {path}"))
    try:
        text = path.read_text(encoding="utf-8")
        data = parse(text, path.name).data
    except UnicodeDecodeError:
        fail(escape(f"{path}: not UTF-8 text; expected a JSON or YAML file"))
    except OSError as exc:
        fail(escape(f"cannot read {path}: {exc.strerror}"))
    except YamlSyntaxError as exc:
        fail(escape(f"{path}: not valid JSON or YAML ({exc.issue.message}, line {exc.issue.line})"))
    except ValueError as exc:  # e.g. an impossible date such as 2026-13-01
        fail(escape(f"{path}: not valid JSON or YAML ({exc})"))
    if not isinstance(data, dict):
        fail(escape(f"{path}: expected a mapping of answers"))
    return data


def _split(raw: str) -> list[str]:
    return [x.strip() for x in raw.split(",") if x.strip()]


def _parse_answer(item: str) -> tuple[str, Any]:
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or key not in Intake.model_fields:
        fail(escape(f"bad --answer '{item}': use key=value with a key from: {', '.join(Intake.model_fields)}"))
    raw = raw.strip()
    try:
        if key in _INT_FIELDS:
            return key, int(raw)
        if key in _FLOAT_FIELDS:
            return key, float(raw)
        if key in SITE_LISTS:
            return key, _split(raw)
        if key == "corticosteroid_injections":
            return key, [parse_dated_site(x) for x in _split(raw)]
        if key == "muscle_injuries":
            return key, [parse_muscle_injury(x) for x in _split(raw)]
    except ValueError:
        fail(escape(f"--answer {key} needs a number, got '{raw}'"))
    except FiliformError as exc:
        fail(escape(str(exc)))
    return key, raw


def _intake(path: Path | None, answers: list[str], rest_clear: bool) -> Intake:
    data: dict[str, Any] = _load_mapping(path) if path is not None else {}
    given = [_parse_answer(a) for a in answers]
    keys = [k for k, _ in given]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        fail(f"--answer given more than once for: {', '.join(repeated)}")
    clashes = [f"{k}: file says {data[k]!r}, --answer says {v!r}" for k, v in given if k in data and data[k] != v]
    if clashes:
        fail(escape("the same answer was given twice with different values:\n  " + "\n  ".join(clashes)))
    data.update(dict(given))
    if rest_clear:
        for name, clear in CLEAR_ANSWERS.items():
            data.setdefault(name, clear)
    try:
        return Intake.from_data(data)
    except ValidationError as exc:
        fail(
            "invalid intake answers:\n"
            + "\n".join(escape(f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']}") for e in exc.errors())
        )
    except FiliformError as exc:
        fail(escape(str(exc)))


def _body(
    height: float | None, weight: float | None, bmi: float | None, sex: str | None, age: int | None
) -> PatientBody:
    try:
        return PatientBody(height_cm=height, weight_kg=weight, bmi=bmi, sex=sex, age=age)
    except ValidationError as exc:
        fail(escape("invalid body measures: " + "; ".join(e["msg"] for e in exc.errors())))


def _day(text: str | None, option: str) -> date:
    try:
        return date.fromisoformat(text) if text else date.today()
    except ValueError:
        fail(escape(f"{option} must be YYYY-MM-DD, got '{text}'"))


def _circuit(text: str) -> CircuitPath:
    """``label=left:forearm+left:upper_arm[,2hz][,200us][,15min]``."""
    label, sep, rest = text.partition("=")
    parts = _split(rest)
    ends = parts[0].split("+") if parts else []
    if not sep or len(ends) != 2:
        fail(escape(f"bad --circuit '{text}': use label=site+site[,2hz][,200us][,15min]"))
    data: dict[str, Any] = {"label": label.strip(), "a": ends[0].strip(), "b": ends[1].strip()}
    units = {"hz": "frequency_hz", "us": "pulse_width_us", "min": "minutes"}
    for p in parts[1:]:
        unit = next((u for u in units if p.lower().endswith(u)), None)
        try:
            data[units[unit or ""]] = float(p[: -len(unit or "")])
        except (KeyError, ValueError):
            fail(escape(f"bad --circuit setting '{p}': use e.g. 2hz, 200us or 15min"))
    try:
        return CircuitPath.model_validate(data)
    except ValidationError as exc:
        fail(escape(f"bad --circuit '{text}': " + "; ".join(e["msg"] for e in exc.errors())))


def _drawing(path: Path | None, condition: str) -> PainDrawing | None:
    if path is None:
        return None
    try:
        pain = drawing_from_data(_load_mapping(path), load_atlas())
    except FiliformError as exc:
        fail(exc)
    if pain.condition is not None and pain.condition != condition:
        fail(f"{path} is a drawing for condition '{pain.condition}', not '{condition}'")
    return pain


def plan_command(
    condition: str = typer.Argument(None, help="Condition id; omit with --list to see them."),
    list_conditions: bool = typer.Option(False, "--list", help="List condition ids and exit."),
    side: str | None = typer.Option(None, "--side", help="Side of the complaint: left or right."),
    intake: Path | None = typer.Option(None, "--intake", help="JSON or YAML file of screening answers."),
    answer: list[str] = typer.Option([], "--answer", "-a", help="key=value screening answer (repeatable)."),
    rest_clear: bool = typer.Option(
        False,
        "--rest-clear",
        help="Record the no-risk answer for every question not otherwise answered (only if you asked them all).",
    ),
    drawing: Path | None = typer.Option(None, "--drawing", help="JSON or YAML pain drawing (regions, findings)."),
    height: float | None = typer.Option(None, "--height", help="Height in cm."),
    weight: float | None = typer.Option(None, "--weight", help="Weight in kg."),
    bmi: float | None = typer.Option(None, "--bmi"),
    sex: str | None = typer.Option(None, "--sex", help="female or male"),
    age: int | None = typer.Option(None, "--age"),
    max_targets: int = typer.Option(5, "--max-targets", min=1, max=15),
    today: str | None = typer.Option(None, "--today", help="Plan date (YYYY-MM-DD); default today."),
    handout: bool = typer.Option(False, "--handout", help="Print the patient handout (Markdown) instead."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Build a treatment plan. Exit 0 go, 3 caution, 4 do not needle, 2 bad input."""
    if list_conditions or condition is None:
        for cid, cond in sorted(load_conditions().items()):
            typer.echo(f"{cid}  {cond.name}")
        if condition is None and not list_conditions:
            raise typer.Exit(2)
        return
    if side not in (None, "left", "right"):
        fail("--side must be left or right")
    day = _day(today, "--today")
    answers = _intake(intake, answer, rest_clear)
    if age is not None and answers.age is None:
        answers = answers.model_copy(update={"age": age})
    pain = _drawing(drawing, condition)
    try:
        plan = build_plan(
            PlanRequest(
                condition=condition,
                side=side,
                drawing=pain,
                intake=answers,
                body=_body(height, weight, bmi, sex, age),
                today=day,
                max_targets=max_targets,
            )
        )
    except FiliformError as exc:
        fail(escape(str(exc)))
    if handout:
        typer.echo(
            render_handout(
                plan.condition,
                [t.technique for t in plan.targets],
                near_chest=any(t.needle.lung_adjacent for t in plan.targets),
                anticoagulated=answers.anticoagulant not in ("no", "unknown"),
            )
        )
    elif as_json:
        print_json(plan.model_dump(mode="json"))
    else:
        print_plan(plan)
    raise typer.Exit(_EXIT[plan.status])


def screen_command(
    intake: Path | None = typer.Option(None, "--intake", help="JSON or YAML file of screening answers."),
    answer: list[str] = typer.Option([], "--answer", "-a", help="key=value screening answer (repeatable)."),
    rest_clear: bool = typer.Option(
        False,
        "--rest-clear",
        help="Record the no-risk answer for every question not otherwise answered (only if you asked them all).",
    ),
    target: list[str] = typer.Option([], "--target", "-t", help="Planned target as id or id:side (repeatable)."),
    site: list[str] = typer.Option([], "--site", "-s", help="Planned site as side:site, e.g. left:knee_joint."),
    circuit: list[str] = typer.Option(
        [], "--circuit", "-c", help="Electrical circuit: label=site+site[,2hz][,200us][,15min] (repeatable)."
    ),
    ultrasound: bool | None = typer.Option(
        None, "--ultrasound/--no-ultrasound", help="Whether real-time ultrasound guidance is used."
    ),
    on: str | None = typer.Option(None, "--on", help="Screening date (YYYY-MM-DD); default today."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Screen intake answers per technique, site and circuit. Exit 0 go, 3 caution, 4 do not needle."""
    answers = _intake(intake, answer, rest_clear)
    day = _day(on, "--on")
    if any(t.count(":") > 1 for t in target):
        fail("--target is id or id:side, e.g. quadratus_lumborum:left")
    pairs = [(t.split(":")[0], t.split(":")[1] if ":" in t else None) for t in target]
    if any(s not in (None, "left", "right") for _, s in pairs):
        fail("--target side must be left or right")
    circuits = [_circuit(c) for c in circuit]
    try:
        sites = planned_sites(load_kb(), pairs, site)
        result = evaluate(answers, sites, circuits, on=day, ultrasound=ultrasound)
    except FiliformError as exc:
        fail(escape(str(exc)))
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        print_screening(result)
    raise typer.Exit(_EXIT[result.decision.value])


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_command)
    app.command("screen")(screen_command)
