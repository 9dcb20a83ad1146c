"""``filiform eval referral``: recall of the matcher on the published case file."""

from __future__ import annotations

import typer
from rich.table import Table

from filiform.cli.output import console, fail, print_json
from filiform.core.matching import default_engine
from filiform.core.matching.evaluation import evaluate, load_cases
from filiform.errors import FiliformError

eval_app = typer.Typer(help="Evaluate engines against published cases.", no_args_is_help=True)


@eval_app.command("referral")
def referral(as_json: bool = typer.Option(False, "--json")) -> None:
    """Top-1, top-3 and top-5 recall of the referral matcher, and the misses."""
    try:
        report = evaluate(default_engine(), load_cases())
    except FiliformError as exc:
        fail(exc)
    recall = {f"top{k}": round(report.recall(k), 3) for k in (1, 3, 5)}
    missed = report.misses(3)
    misses = [
        {"case": o.case.id, "expected": list(o.case.expected), "rank": o.rank, "top5": list(o.top)} for o in missed
    ]
    if as_json:
        print_json({"cases": len(report.outcomes), "recall": recall, "misses_top3": misses})
        return
    console.print(
        f"{len(report.outcomes)} cases: top-1 {recall['top1']:.2f}, top-3 {recall['top3']:.2f}, "
        f"top-5 {recall['top5']:.2f}"
    )
    if misses:
        table = Table(title="Misses at top 3")
        for col in ("case", "expected", "rank", "ranked first"):
            table.add_column(col)
        for o in missed:
            table.add_row(o.case.id, ", ".join(o.case.expected), str(o.rank or "-"), ", ".join(o.top[:3]))
        console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
