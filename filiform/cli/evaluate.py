"""``filiform eval referral``: recall of the matcher on the published and the legacy case sets."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from filiform.cli.output import console, fail, print_json
from filiform.core.matching import default_engine
from filiform.core.matching.evaluation import CASE_SETS, EvalReport, evaluate, load_cases
from filiform.errors import FiliformError

eval_app = typer.Typer(help="Evaluate engines against published cases.", no_args_is_help=True)

TITLES = {
    "published": "Published referral descriptions and case reports (not drawn on the base's cells)",
    "legacy": "Legacy set (58 cases; partly circular, kept for comparison)",
}


def _summary(report: EvalReport) -> dict[str, Any]:
    out: dict[str, Any] = {"cases": len(report.outcomes)}
    for k in (1, 3, 5):
        low, high = report.interval(k)
        out[f"top{k}"] = {
            "recall": round(report.recall(k), 3),
            "ci95": [round(low, 3), round(high, 3)],
            "hits": report.hits(k),
            "shared_rank_hits": report.shared_hits(k),
        }
    out["by_kind"] = {
        kind: {f"top{k}": [sub.hits(k), len(sub.outcomes)] for k in (1, 3)} for kind, sub in report.by_kind().items()
    }
    out["misses_top3"] = [
        {"case": o.case.id, "expected": list(o.case.expected), "rank": o.rank, "top5": list(o.top)}
        for o in report.misses(3)
    ]
    return out


@eval_app.command("referral")
def referral(as_json: bool = typer.Option(False, "--json")) -> None:
    """Top-1/3/5 recall with 95% Wilson intervals on both case sets, and the misses."""
    try:
        reports = {name: evaluate(default_engine(), load_cases(which=name)) for name in CASE_SETS}
    except FiliformError as exc:
        fail(exc)
    summaries = {name: _summary(report) for name, report in reports.items()}
    if as_json:
        print_json(summaries)
        return
    for name, s in summaries.items():
        console.print(f"[bold]{TITLES[name]}[/]: {s['cases']} cases")
        for k in (1, 3, 5):
            t = s[f"top{k}"]
            shared = f" ({t['shared_rank_hits']} on a shared rank)" if t["shared_rank_hits"] else ""
            console.print(
                f"  top-{k} {t['recall']:.2f}  95% CI {t['ci95'][0]:.2f}-{t['ci95'][1]:.2f}  "
                f"({t['hits']}/{s['cases']}){shared}"
            )
        for kind, counts in s["by_kind"].items():
            (h1, n), (h3, _) = counts["top1"], counts["top3"]
            console.print(f"    {kind}: top-1 {h1}/{n}, top-3 {h3}/{n}")
        if s["misses_top3"]:
            table = Table(title=f"Misses at top 3 ({name})")
            for col in ("case", "expected", "rank", "ranked first"):
                table.add_column(col)
            for m in s["misses_top3"]:
                table.add_row(m["case"], ", ".join(m["expected"]), str(m["rank"] or "-"), ", ".join(m["top5"][:3]))
            console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(eval_app, name="eval")
