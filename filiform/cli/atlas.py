"""``filiform atlas``: list regions and draw the body chart."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from filiform.cli.output import console, fail, print_json
from filiform.core.atlas.build import load_atlas
from filiform.core.atlas.lookup import resolve_region_names
from filiform.core.atlas.svg import render_svg
from filiform.errors import FiliformError

atlas_app = typer.Typer(help="The body-surface atlas (patient's own left and right).", no_args_is_help=True)


@atlas_app.command("regions")
def regions(
    view: str | None = typer.Option(None, help="Only regions drawn in this view (anterior, posterior, lateral, ...)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """List region ids with their anatomical names and views."""
    atlas = load_atlas()
    if view is not None and view not in atlas.views:
        fail(f"unknown view '{view}'; views are {', '.join(atlas.views)}")
    shown = {c.region for c in atlas.cells if c.view == view} if view else set(atlas.regions)
    rows = [r for r in atlas.regions.values() if r.id in shown]
    if as_json:
        print_json([{"id": r.id, "name": r.name, "view": r.view, "side": r.side_label} for r in rows])
        return
    table = Table(title=f"{len(rows)} regions")
    for col in ("id", "name", "view"):
        table.add_column(col)
    for r in sorted(rows, key=lambda r: (r.view, r.base, r.side_label)):
        table.add_row(r.id, r.name, r.view)
    console.print(table)


@atlas_app.command("render")
def render(
    regions: str = typer.Option("", "--regions", help="Comma-separated region ids or names to colour."),
    out: Path = typer.Option(..., "-o", "--out", help="Output file: .png or .svg"),
    pattern: list[str] = typer.Option([], "--pattern", help="Muscle or trigger point to overlay (repeatable)."),
    side: str = typer.Option("right", help="Side for --pattern overlays: right or left."),
) -> None:
    """Draw the chart with chosen regions coloured (and referral patterns overlaid)."""
    from filiform.reports.atlas_render import render_chart

    suffix = out.suffix.lower()
    if suffix not in {".png", ".svg"}:
        fail("output must end in .png or .svg")
    atlas = load_atlas()
    try:
        ids = resolve_region_names([s for s in regions.split(",") if s.strip()], atlas)
        overlays = _overlays(pattern, side)
    except FiliformError as exc:
        fail(exc)
    drawing = {rid: 6.0 for rid in ids}
    try:
        if suffix == ".svg" and not overlays:
            out.write_text(render_svg(atlas, fills={rid: "#d9534f" for rid in ids}), encoding="utf-8")
        else:
            out.write_bytes(render_chart(atlas, drawing, overlays, fmt=suffix[1:]))
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}")
    console.print(f"wrote {out}")


def _overlays(ids: list[str], side: str) -> list:  # type: ignore[type-arg]
    if not ids:
        return []
    from filiform.core.concepts import Side
    from filiform.core.kb.loader import load_kb
    from filiform.reports.atlas_render import PatternOverlay

    kb = load_kb()
    try:
        chosen = Side(side)
    except ValueError:
        fail("--side must be right or left")
    atlas = load_atlas()
    overlays = []
    for ident in ids:
        for tp in kb.trigger_points_for(ident):
            overlays.append(
                PatternOverlay(
                    label=tp.id,
                    essential=[atlas.resolve(r, chosen) for r in tp.referral.essential],
                    spillover=[atlas.resolve(r, chosen) for r in tp.referral.spillover],
                )
            )
    return overlays


@atlas_app.command("check-referrals")
def check_referrals_command() -> None:
    """Reject referral patterns with an isolated cell or an unannounced midline crossing."""
    from filiform.core.atlas.referral_check import check_referrals
    from filiform.core.kb.loader import load_kb

    issues = check_referrals(load_kb(), load_atlas())
    for issue in issues:
        console.print(f"{issue.target} / {issue.trigger_point}: {issue.message}")
    if issues:
        raise typer.Exit(1)
    console.print("ok: every referral pattern is connected or declares its separate spots")


@atlas_app.command("convert-kb")
def convert_kb(
    files: list[Path] = typer.Argument(..., help="Target YAML files (or folders) still written on atlas-1 regions."),
    check: bool = typer.Option(False, "--check", help="Only report; exit 1 if a file would change."),
) -> None:
    """Rewrite ``regions`` and referral zones of knowledge-base files from atlas 1 to atlas 2.

    Only those values change (every other line is kept as it is); a file that already names
    an atlas-2-only region is left alone, so running it again is safe.
    """
    from filiform.core.atlas.v1_kb import convert_target_text

    paths = [p for f in files for p in (sorted(f.rglob("*.yaml")) if f.is_dir() else [f])]
    changed = 0
    for path in paths:
        try:
            result = convert_target_text(path.read_text("utf-8"))
        except (OSError, FiliformError) as exc:
            fail(f"{path}: {exc}")
        if result.changed:
            changed += 1
            if not check:
                path.write_text(result.text, encoding="utf-8")
        console.print(f"{path}: {'converted' if result.changed else '; '.join(result.notes) or 'unchanged'}")
    console.print(f"{changed} of {len(paths)} files {'would change' if check else 'converted'}")
    if check and changed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(atlas_app, name="atlas")
