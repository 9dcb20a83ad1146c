"""``filiform match``: which trigger points could refer this pain?"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from filiform.cli.output import console, fail, print_json
from filiform.core.atlas.build import load_atlas
from filiform.core.matching import MatchResult, RankedMuscle, RankedTriggerPoint, default_engine
from filiform.core.matching.parse import drawing_from_names, drawing_from_text
from filiform.errors import FiliformError


def match_command(
    regions: str = typer.Option(
        "",
        "--regions",
        "-r",
        help="Comma-separated regions, e.g. right-temple-middle,right-jaw-angle=7 (name=intensity).",
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
        priors = None
        if drawing.condition is not None:  # planning (conditions, safety rules) only when a drawing names one
            from filiform.core.planning.plan import condition_priors

            priors = condition_priors(drawing.condition)
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
        }

    def target(m: RankedMuscle) -> dict[str, object]:
        return {
            "rank": m.rank,
            "target": m.muscle_id,
            "kind": m.kind,
            "side": m.side.value,
            "score": m.score,
            "trigger_points": list(m.tps),
            "pattern_coverage": m.pattern_coverage,
            "drawing_explained": m.drawing_explained,
            "essential": list(m.essential_hits),
            "spillover": list(m.spillover_hits),
            "local": list(m.local_hits),
            "unexplained": list(m.unexplained),
            "reasons": list(m.reasons),
        }

    return {
        "targets": [target(m) for m in result.muscles],
        "trigger_points": [tp(r) for r in result.ranked],
        "cover": [target(m) for m in result.cover],
        "nothing_explains": result.nothing_explains,
        "unexplained_by_any": list(result.unexplained_by_any),
        "notes": list(result.notes),
    }


def _print(result: MatchResult) -> None:
    if result.nothing_explains:
        console.print(
            "[yellow]Nothing in the knowledge base explains this drawing better than chance.[/] "
            "Consider non-myofascial causes; examine."
        )
    table = Table(title="Targets that could refer this pain (score = log-likelihood ratio; equal scores share a rank)")
    cols = ("rank", "target", "side", "score", "essential zones hit", "spillover / local", "leaves unexplained")
    for col in cols:
        table.add_column(col)
    for m in result.muscles:
        extra = ", ".join([*m.spillover_hits, *m.local_hits])
        why = f"\n[dim]{'; '.join(m.reasons)}[/]" if m.reasons else ""
        table.add_row(
            str(m.rank),
            f"{m.muscle_name}\n[dim]{', '.join(m.tps) or m.kind}[/]{why}",
            m.side.value,
            f"{m.score:.2f}",
            ", ".join(m.essential_hits) or "-",
            extra or "-",
            ", ".join(m.unexplained) or "-",
        )
    console.print(table)
    if result.cover:
        console.print(
            "[bold]Smallest set explaining the drawing:[/] "
            + ", ".join(f"{m.muscle_name} ({m.side.value})" for m in result.cover)
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
    for m in (m for m in result.muscles[:3] if m.tps):
        essential = [z for tp_id in m.tps for z in kb.trigger_points_for(tp_id)[0].referral.essential]
        spillover = [z for tp_id in m.tps for z in kb.trigger_points_for(tp_id)[0].referral.spillover]
        overlays.append(
            PatternOverlay(
                label=f"{m.muscle_name} ({m.side.value})",
                essential=[atlas.resolve(z, m.side) for z in essential],
                spillover=[atlas.resolve(z, m.side) for z in spillover],
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
