"""``filiform measure``: score outcome instruments, list and show them, plot a patient's scores."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from filiform.cli.output import console, fail, print_json
from filiform.core.kb.yaml_source import YamlSyntaxError, parse
from filiform.core.outcomes import (
    DatedScore,
    Instrument,
    ScoreResult,
    get_citation,
    get_instrument,
    interpret_change,
    list_instruments,
    score,
    summarise_trend,
)
from filiform.core.outcomes.answers import parse_answer_list
from filiform.core.outcomes.interpret import shown
from filiform.core.outcomes.series import parse_score_series
from filiform.errors import FiliformError, ValidationFailed
from filiform.reports.outcome_plot import save_outcome_plot

measure_app = typer.Typer(
    help="Outcome measures: exact scoring, MCID interpretation, trends and plots.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add the ``measure`` sub-command group to the root app."""
    app.add_typer(measure_app, name="measure")


@measure_app.command("score")
def score_command(
    instrument_id: str = typer.Argument(..., help="Instrument id, e.g. ndi (see 'measure list')."),
    answers: str = typer.Option(
        ...,
        "--answers",
        "-a",
        help="Comma-separated answers in item order ('1,2,,4': empty = missing) "
        "or by item id ('s1=1,s2=3'). VISA-A item 8: branch:value, e.g. B:10.",
    ),
    baseline: float | None = typer.Option(None, help="A previous score to compare with (change, MCID, responder)."),
    scale: str = typer.Option("total", help="Scale for --baseline: total or a subscale id."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Score one administration of an instrument."""
    try:
        result = score(instrument_id, parse_answer_list(answers))
        change = None
        if baseline is not None:
            change = interpret_change(instrument_id, baseline, _value_of(result, scale), scale=scale)
    except FiliformError as exc:
        fail(exc)
    if as_json:
        data: dict[str, Any] = result.model_dump(mode="json")
        if change is not None:
            data["change"] = change.model_dump(mode="json")
        print_json(data)
        return
    _print_result(get_instrument(instrument_id), result)
    if change is not None:
        console.print(change.explanation, highlight=False)


def _value_of(result: ScoreResult, scale: str) -> float:
    try:
        return result.value(scale)
    except KeyError:
        raise ValidationFailed(f"this result has no {scale!r} score") from None


def _print_result(instrument: Instrument, result: ScoreResult) -> None:
    low, high = result.range
    direction = "higher is better" if result.higher_is_better else "lower is better"
    unit = "" if result.unit in ("points", "category", "mean item score") else f" {result.unit}"
    if result.total is not None:
        console.print(
            f"[bold]{instrument.short_name}[/] {shown(result.total)}{unit} (range {low:g}-{high:g}, {direction})",
            highlight=False,
        )
    for sub in result.subscales:
        console.print(
            f"  {sub.name}: {shown(sub.value)} (range {sub.min:g}-{sub.max:g}; "
            f"{sub.items_answered}/{sub.items_total} items)",
            highlight=False,
        )
    console.print(f"  items answered: {result.items_answered}/{result.items_total}")
    if result.band:
        console.print(f"  band: {result.band}", highlight=False)
    if result.responder is not None:
        console.print(f"  responder: {'yes' if result.responder else 'no'}")
    if result.note:
        console.print(f"  note: {result.note}", highlight=False)


@measure_app.command("list")
def list_command(
    all_: bool = typer.Option(False, "--all", help="Also list instruments Filiform cannot score."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """List the instruments with items, range, direction, MCID and licence."""
    instruments = list_instruments(include_unscorable=all_)
    if as_json:
        print_json([_summary(i) for i in instruments])
        return
    table = Table(title="Outcome instruments")
    for column in ("id", "name", "items", "range", "better", "MCID", "licence", "LOINC"):
        table.add_column(column)
    for inst in instruments:
        row = _summary(inst)
        table.add_row(
            inst.id,
            inst.short_name,
            str(inst.item_count),
            row["range"],
            row["better"],
            row["mcid"],
            inst.licence.commercial_use.replace("_", " "),
            inst.loinc.total or "",
        )
    console.print(table)


def _summary(inst: Instrument) -> dict[str, Any]:
    mcids = []
    for scale in inst.scale_ids():
        threshold = inst.primary_mcid(scale)
        if threshold is not None:
            prefix = "" if scale == "total" else f"{scale} "
            mcids.append(f"{prefix}{threshold.value:g}")
    return {
        "id": inst.id,
        "name": inst.name,
        "items": inst.item_count,
        "range": f"{inst.range_min:g}-{inst.range_max:g}",
        "better": "higher" if inst.higher_is_better else "lower",
        "mcid": ", ".join(mcids) if mcids else ("n/a (anchor)" if inst.kind == "transition" else "-"),
        "scorable": inst.scorable,
        "licence": inst.licence.commercial_use,
        "wording_shipped": inst.licence.wording_may_be_shipped,
        "loinc_total": inst.loinc.total,
    }


@measure_app.command("show")
def show_command(
    instrument_id: str = typer.Argument(..., help="Instrument id."),
    as_json: bool = typer.Option(False, "--json", help="Print the full definition as JSON."),
) -> None:
    """Show an instrument: scoring rule, missing-item rule, scales, MCID/MDC, licence, sources."""
    try:
        inst = get_instrument(instrument_id)
    except FiliformError as exc:
        fail(exc)
    if as_json:
        print_json(inst.model_dump(mode="json"))
        return
    console.print(f"[bold]{inst.name}[/] ({inst.id})", highlight=False)
    console.print(f"Developer: {inst.developer}", highlight=False)
    console.print(f"Measures: {inst.measures}", highlight=False)
    if not inst.scorable:
        console.print(f"[yellow]Not scored:[/] {inst.unscorable_reason}", highlight=False)
    direction = "higher is better" if inst.higher_is_better else "lower is better"
    console.print(
        f"Items: {inst.item_count}; range {inst.range_min:g}-{inst.range_max:g} {inst.unit}; {direction}",
        highlight=False,
    )
    console.print(f"Scoring: {inst.scoring.summary}", highlight=False)
    console.print(f"Missing items: {inst.scoring.missing_rule}", highlight=False)
    for item in inst.items:
        text = f" - {item.text}" if item.text else ""
        scale = inst.scales[item.scale].describe()
        console.print(f"  {item.id}: {item.label} [{scale}]{text}", highlight=False, markup=False)
    for threshold in inst.mcid:
        console.print(
            f"MCID {threshold.scale}: {threshold.value:g}"
            f"{' %' if threshold.kind == 'percent' else ''} - {threshold.population} "
            f"({_cite(threshold.citation)})",
            highlight=False,
        )
    for threshold in inst.mdc:
        console.print(
            f"MDC {threshold.scale}: {threshold.value:g} ({_cite(threshold.citation)})",
            highlight=False,
        )
    if inst.transition is not None:
        rule = inst.transition
        console.print(
            f"Responder: answer {rule.responder_if} {rule.value} ({rule.note}; {_cite(rule.citation)})",
            highlight=False,
        )
    wording = "may be shipped" if inst.licence.wording_may_be_shipped else "not shipped"
    console.print(
        f"Licence: {inst.licence.holder} - {inst.licence.terms} (item wording {wording})",
        highlight=False,
    )
    if inst.loinc.panel or inst.loinc.total:
        console.print(f"LOINC: panel {inst.loinc.panel or '-'}, total {inst.loinc.total or '-'}")
    if inst.notes:
        console.print(f"Notes: {inst.notes}", highlight=False)


def _cite(citation_id: str) -> str:
    citation = get_citation(citation_id)
    return f"{citation.short}, {citation.identifier}"


@measure_app.command("plot")
def plot_command(
    source: Path = typer.Argument(..., help="YAML or JSON file of dated scores (see docs)."),
    output: Path = typer.Option(..., "--output", "-o", help="Write here (.png or .svg)."),
    scale: str | None = typer.Option(None, help="Scale to plot (default: file's, or total)."),
    as_json: bool = typer.Option(False, "--json", help="Print the trend summary as JSON."),
) -> None:
    """Plot a patient's scores over time with the MCID band, and print the trend summary."""
    try:
        instrument_id, chosen, title, points = _read_scores(source)
        chosen = scale or chosen
        save_outcome_plot(output, instrument_id, points, scale=chosen, title=title)
        trend = summarise_trend(instrument_id, points, scale=chosen)
    except FiliformError as exc:
        fail(exc)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    if as_json:
        print_json(trend.model_dump(mode="json"))
        return
    console.print(trend.summary, highlight=False)
    console.print(f"wrote {output}")


def _read_scores(source: Path) -> tuple[str, str, str | None, list[DatedScore]]:
    try:
        text = source.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed(f"{source}: not UTF-8 text; expected a JSON or YAML file") from None
    except OSError as exc:
        raise ValidationFailed(f"cannot read {source}: {exc.strerror}") from None
    try:
        data = json.loads(text) if source.suffix.lower() == ".json" else parse(text, str(source)).data
    except YamlSyntaxError as exc:  # located: file and line
        raise ValidationFailed(f"not valid YAML: {exc.issue}") from None
    except (json.JSONDecodeError, ValueError) as exc:  # ValueError: impossible YAML date
        raise ValidationFailed(f"{source}: not valid JSON/YAML: {exc}") from None
    series = parse_score_series(data, str(source))
    return series.instrument_id, series.scale, series.title, series.points
