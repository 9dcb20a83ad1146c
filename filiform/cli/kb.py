"""``filiform kb``: check, count, show and search the knowledge base."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer
from rich.panel import Panel
from rich.table import Table

from filiform.cli.output import console, err_console, fail, print_json
from filiform.core.kb.loader import KnowledgeBase, load_kb, load_with_issues
from filiform.core.kb.models import Muscle
from filiform.core.kb.search import search_targets
from filiform.core.kb.stats import kb_stats
from filiform.errors import FiliformError

kb_app = typer.Typer(help="The clinical knowledge base: targets, trigger points, sources.", no_args_is_help=True)


@kb_app.command("check")
def check(
    root: Path | None = typer.Option(None, "--root", help="Check this data folder instead of the shipped one."),
) -> None:
    """Validate schema and cross-references; exit 1 listing file:line for every problem."""
    from filiform.core.kb.checks import check_kb  # the atlas's geometry: only this command needs it

    if root is not None and not root.is_dir():
        fail(f"no such folder: {root}")
    kb, issues = load_with_issues(root)
    issues += check_kb(kb)
    if root is None:  # conditions, techniques and screening rules ship beside the base
        from filiform.core.planning.checks import check_clinical_data

        issues += check_clinical_data()
    if issues:
        for issue in issues:
            err_console.print(str(issue), highlight=False, markup=False)
        err_console.print(f"[bold red]{len(issues)} problem(s)[/] in the knowledge base")
        raise typer.Exit(1)
    console.print(
        f"[green]ok[/]: {len(kb.targets)} targets, {len(kb.citations)} citations, "
        f"{len(kb.danger)} danger structures, {len(kb.depth)} depth studies"
    )


@kb_app.command("stats")
def stats(as_json: bool = typer.Option(False, "--json")) -> None:
    """Coverage counts per body area and per target kind."""
    data = kb_stats(_kb())
    if as_json:
        print_json(asdict(data))
        return
    table = Table(title="Knowledge base coverage")
    table.add_column("measure")
    table.add_column("count", justify="right")
    keys = ("targets", "muscles", "trigger_points", "citations", "danger_structures", "depth_studies", "lung_adjacent")
    for key in keys:
        table.add_row(key.replace("_", " "), str(getattr(data, key)))
    for area, n in data.by_area.items():
        table.add_row(f"area: {area}", str(n))
    for kind, n in data.by_kind.items():
        table.add_row(f"kind: {kind}", str(n))
    console.print(table)


@kb_app.command("show")
def show(ident: str, as_json: bool = typer.Option(False, "--json")) -> None:
    """Print one target readably (or as JSON)."""
    kb = _kb()
    try:
        target = kb.target(ident)
    except FiliformError:
        near = ", ".join(t.id for t, _ in search_targets(kb, ident, limit=5))
        fail(f"no target '{ident}'" + (f"; did you mean: {near}" if near else ""))
    if as_json:
        print_json(target.model_dump(mode="json"))
        return
    lines = [f"[bold]{target.name}[/] ({target.kind}, {target.body_area.value})"]
    if target.synonyms:
        lines.append("Also: " + ", ".join(target.synonyms))
    if isinstance(target, Muscle):
        lines += [f"Innervation: {target.innervation}", f"Action: {target.action}", ""]
        for tp in target.trigger_points:
            lines.append(f"[bold]{tp.id}[/] {tp.label}: {tp.location}")
            lines.append(
                f"  refers to: {', '.join(tp.referral.essential)}"
                + (f"; spillover {', '.join(tp.referral.spillover)}" if tp.referral.spillover else "")
            )
    for ap in target.needling:
        lines += [
            "",
            f"[bold]Needling[/] ({ap.position}): {ap.landmarks}. {ap.direction}.",
            f"  depth {ap.depth_mm.min_mm:g}-{ap.depth_mm.max_mm:g} mm; needle "
            f"{ap.needle.length_mm:g} mm x {ap.needle.gauge_mm:g} mm. {ap.technique_notes}",
        ]
    for d in target.danger:
        lines.append(f"[bold red]Danger[/] {kb.danger[d.structure].name}: {d.rule}")
    cites = sorted({c for c in target.citations})
    lines += [
        "",
        "Sources: "
        + "; ".join(f"{kb.citations[c].authors} ({kb.citations[c].year}) {kb.citations[c].title}" for c in cites),
    ]
    console.print(Panel("\n".join(lines), title=target.id))


@kb_app.command("search")
def search(
    text: str,
    limit: int = typer.Option(10, min=1, max=100),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Find targets by name or synonym, tolerating typos."""
    hits = search_targets(_kb(), text, limit=limit)
    if as_json:
        print_json([{"id": t.id, "name": t.name, "kind": t.kind, "score": round(s, 1)} for t, s in hits])
        return
    if not hits:
        fail(f"nothing matches '{text}'", code=1)
    table = Table()
    for col in ("id", "name", "kind", "area", "match"):
        table.add_column(col)
    for t, s in hits:
        table.add_row(t.id, t.name, t.kind, t.body_area.value, f"{s:.0f}")
    console.print(table)


def _kb() -> KnowledgeBase:
    try:
        return load_kb()
    except FiliformError as exc:
        fail(exc)


def register(app: typer.Typer) -> None:
    app.add_typer(kb_app, name="kb")
