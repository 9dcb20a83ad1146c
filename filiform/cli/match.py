"""``filiform match``: which trigger points could refer this pain?"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from filiform.cli.output import console, fail, print_json
from filiform.core.atlas.build import load_atlas
from filiform.core.matching import MatchResult, RankedTriggerPoint, default_engine
from filiform.core.matching.parse import drawing_from_names, drawing_from_text
from filiform.core.planning.plan import condition_priors
from filiform.errors import FiliformError


def match_command(
    regions: str = typer.Option(
        "", "--regions", "-r", help="Comma-separated regions, e.g. right-temple-middle,right-jaw-angle=7 (name=intensity)."
    ),
    file: Path | None = typer.Option(None, "--file", "-f", help="A drawing as JSON or YAML."),
    limit: int = typer.Option(10, min=1, max=200, help="How many trigger points to show."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    render: Path | None = typer.Option(None, "--render", "-o", help="Also draw the chart (.png/.svg)."),
) -> None:
    """Rank trigger points whose referral patterns explain the drawing, with reasons."""
    if file is not None and regions.strip():
        fail("give the drawing either with --regions or with --file, not both")
    if render is not None and render.suffix.lower() not in {".png", ".svg"}:
        fail("--render must end in .png or .svg")
    atlas = load_atlas()
    try:
        if file is not None:
            if not file.is_file():
                fail(f"no such file: {file}")
            try:
                text = file.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                fail(f"{file}: not UTF-8 text; a drawing is a JSON or YAML file")
            except OSError as exc:
                fail(f"cannot read {file}: {exc.strerror}")
            drawing = drawing_from_text(text, atlas)
        else:
            drawing = drawing_from_names([s for s in regions.split(",") if s.strip()], atlas)
        priors = condition_priors(drawing.condition) if drawing.condition is not None else None
        result = default_engine().match(drawing, priors=priors, limit=limit)
    except FiliformError as exc:
        fail(exc)
    if as_json:
        print_json(_as_dict(result))
    else:
        _print(result)
    if render is not None:
        _render(render, {r.region: float(r.intensity) for r in drawing.regions}, result)


def _as_dict(result: MatchResult) -> dict[str, object]:
    def tp(r: RankedTriggerPoint) -> dict[str, object]:
        return {
            "trigger_point": r.tp_id,
            "muscle": r.muscle_id,
            "side": r.side.value,
            "score": r.score,
            "pattern_coverage": r.pattern_coverage,
            "drawing_explained": r.drawing_explained,
            "essential": list(r.essential_hits),
            "spillover": list(r.spillover_hits),
            "local": list(r.local_hits),
            "unexplained": list(r.unexplained),
            "findings": list(r.findings_applied),
            "prior": r.prior,
        }

    return {
        "trigger_points": [tp(r) for r in result.ranked],
        "muscles": [
            {
                "muscle": m.muscle_id,
                "side": m.side.value,
                "score": m.score,
                "best_trigger_point": m.best_tp,
                "explained": list(m.explained),
            }
            for m in result.muscles
        ],
        "cover": [tp(r) for r in result.cover],
        "unexplained_by_any": list(result.unexplained_by_any),
        "notes": list(result.notes),
    }


def _print(result: MatchResult) -> None:
    table = Table(title="Trigger points that could refer this pain (score = log-likelihood ratio)")
    cols = ("#", "trigger point", "side", "score", "essential zones hit", "spillover / local", "leaves unexplained")
    for col in cols:
        table.add_column(col)
    for i, r in enumerate(result.ranked, 1):
        extra = ", ".join([*r.spillover_hits, *r.local_hits])
        findings = f"\nfindings: {', '.join(r.findings_applied)}" if r.findings_applied else ""
        table.add_row(
            str(i),
            f"{r.muscle_name}\n[dim]{r.tp_id}[/]{findings}",
            r.side.value,
            f"{r.score:.2f}",
            ", ".join(r.essential_hits) or "-",
            extra or "-",
            ", ".join(r.unexplained) or "-",
        )
    console.print(table)
    console.print(
        "[bold]Smallest set explaining the drawing:[/] "
        + ", ".join(f"{r.tp_id} ({r.side.value})" for r in result.cover)
    )
    if result.unexplained_by_any:
        console.print("[yellow]No pattern in the base explains:[/] " + ", ".join(result.unexplained_by_any))
    for note in result.notes:
        console.print(f"[yellow]Note:[/] {note}")
    console.print("[dim]Suggestions support, never replace, the clinician's examination.[/]")


def _render(path: Path, drawing: dict[str, float], result: MatchResult) -> None:
    from filiform.reports.atlas_render import PatternOverlay, render_chart

    kb = default_engine().kb
    atlas = load_atlas()
    overlays = []
    for r in result.ranked[:3]:
        tp = kb.trigger_points_for(r.tp_id)[0]
        overlays.append(
            PatternOverlay(
                label=f"{r.tp_id} ({r.side.value})",
                essential=[atlas.resolve(z, r.side) for z in tp.referral.essential],
                spillover=[atlas.resolve(z, r.side) for z in tp.referral.spillover],
            )
        )
    chart = render_chart(
        atlas, drawing, overlays, title="Pain drawing and top referral patterns", fmt=path.suffix[1:].lower()
    )
    try:
        path.write_bytes(chart)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror}")
    console.print(f"wrote {path}")


def register(app: typer.Typer) -> None:
    app.command("match")(match_command)
