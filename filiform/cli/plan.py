"""``filiform plan`` and ``filiform screen``: treatment plans and safety screening.

Intake answers come from a JSON/YAML file (``--intake``) and/or ``--answer key=value``.
Unanswered questions stay unknown and are reported; ``--rest-clear`` records the no-risk
answer (consent yes, risk factors no) for every question not otherwise answered, for a
clinician who has asked them all.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import typer
import yaml
from pydantic import ValidationError
from rich.panel import Panel
from rich.table import Table

from filiform.cli.output import console, fail, print_json
from filiform.core.atlas.build import load_atlas
from filiform.core.kb.loader import load_kb
from filiform.core.matching import PainDrawing
from filiform.core.matching.parse import drawing_from_data
from filiform.core.planning.handout import render_handout
from filiform.core.planning.loader import load_conditions
from filiform.core.planning.plan import Plan, PlanRequest, build_plan
from filiform.core.safety.decision import ScreeningResult
from filiform.core.safety.intake import CLEAR_ANSWERS, QUESTIONS, Intake, PatientBody, Site
from filiform.core.safety.screening import screen, sites_for_targets
from filiform.errors import FiliformError

_INT_FIELDS = {"age", "pregnancy_trimester"}
_FLOAT_FIELDS = {"inr"}
_LIST_FIELDS = {"lymphoedema_sites", "implant_sites", "lesion_sites", "surgery_sites"}
_COLOURS = {"go": "green", "caution": "yellow", "do_not_needle": "bold red"}


def _load_mapping(path: Path) -> dict[str, Any]:
    if not path.is_file():
        fail(f"no such file: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        fail(f"{path}: not UTF-8 text; expected a JSON or YAML file")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: e.g. an impossible date such as 2026-13-01
        fail(f"{path}: not valid JSON or YAML ({exc})")
    if not isinstance(data, dict):
        fail(f"{path}: expected a mapping of answers")
    return data


def _parse_answer(item: str) -> tuple[str, Any]:
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or key not in Intake.model_fields:
        fail(f"bad --answer '{item}': use key=value with a key from: {', '.join(Intake.model_fields)}")
    raw = raw.strip()
    try:
        if key in _INT_FIELDS:
            return key, int(raw)
        if key in _FLOAT_FIELDS:
            return key, float(raw)
    except ValueError:
        fail(f"--answer {key} needs a number, got '{raw}'")
    if key in _LIST_FIELDS:
        return key, [s.strip() for s in raw.split(",") if s.strip()]
    return key, raw


def _intake(path: Path | None, answers: list[str], rest_clear: bool) -> Intake:
    data: dict[str, Any] = _load_mapping(path) if path is not None else {}
    given = [_parse_answer(a) for a in answers]
    keys = [k for k, _ in given]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        fail(f"--answer given more than once for: {', '.join(repeated)}")
    data.update(dict(given))
    if rest_clear:
        for name, clear in CLEAR_ANSWERS.items():
            data.setdefault(name, clear)
    try:
        return Intake.from_data(data)
    except ValidationError as exc:
        fail(
            "invalid intake answers:\n"
            + "\n".join(f"  {'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        )
    except FiliformError as exc:
        fail(exc)


def _body(
    height: float | None, weight: float | None, bmi: float | None, sex: str | None, age: int | None
) -> PatientBody:
    try:
        return PatientBody(height_cm=height, weight_kg=weight, bmi=bmi, sex=sex, age=age)
    except ValidationError as exc:
        fail("invalid body measures: " + "; ".join(e["msg"] for e in exc.errors()))


def _print_screening(result: ScreeningResult) -> None:
    table = Table(title="Screening")
    for col in ("technique", "decision", "why", "precautions"):
        table.add_column(col)
    for td in result.techniques:
        colour = _COLOURS[td.decision.value]
        table.add_row(
            td.technique.value,
            f"[{colour}]{td.decision.value}[/]",
            "\n".join(r.text for r in td.reasons[:6]) + ("\n..." if len(td.reasons) > 6 else ""),
            "\n".join(td.precautions[:4]),
        )
    console.print(table)
    if result.missing_answers:
        console.print("[yellow]Unanswered:[/] " + "; ".join(QUESTIONS.get(q, q) for q in result.missing_answers))


def _cite_line(ids: tuple[str, ...]) -> str:
    kb = load_kb()
    out = []
    for cid in ids:
        c = kb.citations.get(cid)
        if c is not None:
            ref = f"doi:{c.doi}" if c.doi else f"PMID {c.pmid}" if c.pmid else f"ISBN {c.isbn}"
            out.append(f"- {c.authors} ({c.year}). {c.title}. {c.journal}. {ref}")
    return "\n".join(out)


def _print_plan(plan: Plan) -> None:
    colour = _COLOURS[plan.status]
    console.print(
        Panel(
            f"{plan.condition_name}\nstatus: [{colour}]{plan.status}[/]  ·  evidence: "
            f"{plan.evidence_grade.value} - {plan.evidence_summary}",
            title=f"plan: {plan.condition}",
        )
    )
    if plan.targets:
        table = Table(title="Targets")
        for col in ("#", "target", "side", "technique", "needle", "depth", "decision / notes"):
            table.add_column(col)
        for t in plan.targets:
            n = t.needle
            depth = f"{n.insertion_mm[0]:g}-{n.insertion_mm[1]:g} mm"
            if n.max_safe_depth_mm is not None:
                depth += f" (max {n.max_safe_depth_mm:g})"
            note = f"[{_COLOURS[t.decision.value]}]{t.decision.value}[/]"
            if n.lung_adjacent:
                note += "\n[bold red]LUNG-ADJACENT[/] " + (n.safe_technique or "")
            table.add_row(
                str(t.rank),
                t.name,
                t.side or "confirm",
                t.technique.value,
                f"{n.length_mm} mm x {n.gauge_mm:g} mm",
                depth,
                note,
            )
        console.print(table)
    for r in plan.blocking_reasons:
        console.print(f"[bold red]do not needle:[/] {r.text}")
    for e in plan.excluded:
        console.print(f"[dim]excluded {e.target} ({e.side or '-'}): {e.why}[/]")
    d = plan.dosing
    console.print(
        f"[bold]Dose:[/] {d.sessions.min:g}-{d.sessions.max:g} sessions, {d.per_week.min:g}-"
        f"{d.per_week.max:g} per week. {d.retention} {d.notes}"
    )
    if plan.electrical is not None:
        el = plan.electrical
        console.print(
            f"[bold]Electrical:[/] {el.frequency_hz.min:g}-{el.frequency_hz.max:g} Hz, "
            f"{el.pulse_width_us.min:g}-{el.pulse_width_us.max:g} µs, {el.duration_min.min:g}-"
            f"{el.duration_min.max:g} min, {el.intensity}" + ("" if el.verified else " [yellow](unverified)[/]")
        )
    if plan.precautions:
        console.print("[bold]Precautions:[/]\n" + "\n".join(f"- {p}" for p in plan.precautions))
    if plan.missing_answers:
        console.print("[yellow]Unanswered:[/] " + "; ".join(QUESTIONS.get(q, q) for q in plan.missing_answers))
    console.print("[bold]Refer out if:[/] " + "; ".join(plan.red_flags))
    console.print(
        f"[bold]Measure:[/] {', '.join(plan.outcome_measures)}  ·  [bold]re-evaluate on:[/] "
        f"{plan.reevaluate_on.isoformat()}"
    )
    console.print("[bold]Sources:[/]\n" + _cite_line(plan.citations), highlight=False)


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
    """Build a treatment plan: targets, technique, needle, dose, precautions and sources."""
    if list_conditions or condition is None:
        for cid, cond in sorted(load_conditions().items()):
            console.print(f"{cid}  [dim]{cond.name}[/]", highlight=False)
        if condition is None and not list_conditions:
            raise typer.Exit(2)
        return
    if side not in (None, "left", "right"):
        fail("--side must be left or right")
    try:
        day = date.fromisoformat(today) if today else date.today()
    except ValueError:
        fail(f"--today must be YYYY-MM-DD, got '{today}'")
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
        fail(exc)
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
        _print_plan(plan)
    if plan.status == "do_not_needle":
        raise typer.Exit(1)


def screen_command(
    intake: Path | None = typer.Option(None, "--intake", help="JSON or YAML file of screening answers."),
    answer: list[str] = typer.Option([], "--answer", "-a", help="key=value screening answer (repeatable)."),
    rest_clear: bool = typer.Option(
        False,
        "--rest-clear",
        help="Record the no-risk answer for every question not otherwise answered (only if you asked them all).",
    ),
    target: list[str] = typer.Option([], "--target", "-t", help="Planned target as id or id:side (repeatable)."),
    site: list[str] = typer.Option([], "--site", "-s", help="Planned body area as area or side:area."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Screen intake answers: go / caution / do not needle per technique (and per site)."""
    answers = _intake(intake, answer, rest_clear)
    sites: list[Site] = []
    try:
        if any(t.count(":") > 1 for t in target):
            fail("--target is id or id:side, e.g. quadratus_lumborum:left")
        pairs = [(t.split(":")[0], t.split(":")[1] if ":" in t else None) for t in target]
        if any(s not in (None, "left", "right") for _, s in pairs):
            fail("--target side must be left or right")
        if pairs:
            sites += sites_for_targets(load_kb(), pairs)
        for s in site:
            side, _, area = s.rpartition(":")
            sites.append(Site.model_validate({"area": area, "side": side or None}))
    except ValidationError as exc:
        fail(f"bad --site: {exc.errors()[0]['msg']}")
    except FiliformError as exc:
        fail(exc)
    result = screen(answers, sites)
    if as_json:
        print_json(result.model_dump(mode="json"))
    else:
        _print_screening(result)
        for sd in result.sites:
            worst = max((t.decision for t in sd.techniques), key=lambda d: d.severity)
            console.print(f"site {sd.site}: worst [{_COLOURS[worst.value]}]{worst.value}[/]")


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_command)
    app.command("screen")(screen_command)
