"""``filiform hrv``: import a heart-beat recording, measure each session phase, plot it."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from filiform.cli.output import console, fail, print_json
from filiform.core.hrv.session import SessionAnalysis, analyse_session
from filiform.core.hrv.units import Unit
from filiform.errors import FiliformError
from filiform.reports.hrv_plot import tachogram_png, tachogram_svg
from filiform.services.records.hrv_files import Kind, load_rr_file

hrv_app = typer.Typer(
    help="Heart-rate variability during a session and an early vasovagal warning.",
    no_args_is_help=True,
)

_UNITS: tuple[Unit, ...] = ("auto", "ms", "s")
_KINDS: tuple[Kind, ...] = ("auto", "ecg", "ppg")


def register(app: typer.Typer) -> None:
    """Add the ``hrv`` sub-command group to the root app."""
    app.add_typer(hrv_app, name="hrv")


def _column(value: str | None) -> str | int | None:
    if value is None:
        return None
    return int(value) - 1 if value.isdigit() else value


def _run(
    file: Path,
    phases: str,
    unit: str,
    column: str | None,
    channel: str | None,
    kind: str,
    seed: int,
) -> SessionAnalysis:
    if unit not in _UNITS:
        fail(f"--unit must be one of {', '.join(_UNITS)}")
    if kind not in _KINDS:
        fail(f"--kind must be one of {', '.join(_KINDS)}")
    try:
        series = load_rr_file(
            file,
            unit=unit,
            column=_column(column),
            channel=_column(channel),
            kind=kind,
        )
        return analyse_session(series, phases, seed=seed)
    except FiliformError as exc:
        fail(exc)


@hrv_app.command("analyse")
def analyse(
    file: Path = typer.Argument(..., help="RR file (.csv/.txt/.hrm) or ECG/PPG (.edf/.hea)."),
    phases: str = typer.Option(..., "--phases", "-p", help="Phases in seconds, e.g. baseline=0-300,needling=300-900."),
    unit: str = typer.Option("auto", help="RR unit: auto, ms or s."),
    column: str | None = typer.Option(None, help="RR column name or 1-based number."),
    channel: str | None = typer.Option(None, help="Signal channel label or 1-based number."),
    kind: str = typer.Option("auto", help="Signal kind for EDF/WFDB: auto, ecg or ppg."),
    as_json: bool = typer.Option(False, "--json", help="Print the full summary as JSON."),
    png: Path | None = typer.Option(None, help="Write the tachogram as PNG here."),
    svg: Path | None = typer.Option(None, help="Write the tachogram as SVG here."),
    seed: int = typer.Option(0, help="Seed of the bootstrap (results are reproducible)."),
) -> None:
    """Correct artefacts, report HR/RMSSD/SDNN/pNN50/LF/HF per phase, warn of vasovagal signs."""
    for path, suffix in ((png, ".png"), (svg, ".svg")):
        if path is not None and path.suffix.lower() != suffix:
            fail(f"--{suffix[1:]} must end in {suffix}, got '{path}'")
    analysis = _run(file, phases, unit, column, channel, kind, seed)
    _write_plots(analysis, png, svg)
    if as_json:
        data = analysis.model_dump(mode="json")
        for key in ("times_s", "rr_ms", "valid", "raw_times_s", "raw_rr_ms"):
            data.pop(key)
        print_json(data)
        return
    _print_report(analysis)


@hrv_app.command("plot")
def plot(
    file: Path = typer.Argument(..., help="RR or signal file."),
    phases: str = typer.Option(..., "--phases", "-p", help="e.g. baseline=0-300,rest=300-600"),
    out: Path = typer.Option(..., "--out", "-o", help="Output .png or .svg."),
    unit: str = typer.Option("auto", help="RR unit: auto, ms or s."),
    kind: str = typer.Option("auto", help="Signal kind for EDF/WFDB: auto, ecg or ppg."),
) -> None:
    """Draw the RR tachogram with phases and any warning marked."""
    suffix = out.suffix.lower()
    if suffix not in (".png", ".svg"):
        fail("--out must end in .png or .svg")
    analysis = _run(file, phases, unit, None, None, kind, 0)
    _write_plots(analysis, out if suffix == ".png" else None, out if suffix == ".svg" else None)


def _write_plots(analysis: SessionAnalysis, png: Path | None, svg: Path | None) -> None:
    try:
        if png is not None:
            png.write_bytes(tachogram_png(analysis))
            console.print(f"tachogram written to {png}")
        if svg is not None:
            svg.write_text(tachogram_svg(analysis), encoding="utf-8")
            console.print(f"tachogram written to {svg}")
    except OSError as exc:
        fail(f"cannot write plot: {exc}")


def _fmt(value: float | None, reason: str | None) -> str:
    if value is None:
        return f"[dim]- ({reason})[/]" if reason else "-"
    return f"{value:.1f}"


def _print_report(analysis: SessionAnalysis) -> None:
    c = analysis.correction
    console.print(
        f"Artefact correction: {c.method}\n  {c.n_input} beats in, {c.n_output} out; "
        f"ectopic {c.ectopic}, long/short {c.longshort}, missed {c.missed}, extra {c.extra}; "
        f"still implausible {c.invalid_after}",
        highlight=False,
    )
    table = Table(title="Per phase", show_lines=False)
    table.add_column("phase")
    table.add_column("beats", justify="right")
    for metric in analysis.phases[0].metrics:
        table.add_column(f"{metric.name.upper()}\n{metric.unit}", justify="right")
    for result in analysis.phases:
        cells = [_fmt(v.value, "too short" if v.reason else None) for v in result.metrics]
        table.add_row(result.phase.name, str(result.n_beats), *cells)
    console.print(table)
    reasons = {v.reason for r in analysis.phases for v in r.metrics if v.reason}
    for reason in sorted(reasons):
        console.print(f"  [dim]withheld: {reason}[/]", highlight=False)
    console.print(f"\nChange from {analysis.baseline} ({analysis.uncertainty_method}):")
    for change in analysis.changes:
        console.print(f"  {change.phase}: {change.statement}", highlight=False)
    console.print("\nVasovagal early warning:")
    if not analysis.events:
        console.print("  no warning pattern found")
    for event in analysis.events:
        console.print(
            f"  [bold]{event.kind}[/] at {event.detected_s:.0f} s (began {event.onset_s:.0f} s): {event.message}",
            highlight=False,
        )
    console.print(f"\n[dim]{analysis.caveat}[/]", highlight=False)
