"""Terminal rendering of screening results and plans: blocking reasons first, nothing hidden.

Every do-not-needle reason is printed in full, with its site in plain words and its
sources; cautions may be shortened (``--json`` has everything). All text from data is
escaped, so square brackets in a label are shown, never eaten as terminal markup.
"""

from __future__ import annotations

from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from filiform.cli.output import console
from filiform.core.kb.loader import load_kb
from filiform.core.outcomes import get_instrument
from filiform.core.planning.loader import load_techniques
from filiform.core.planning.plan import Plan
from filiform.core.planning.wording import dose_words
from filiform.core.safety.decision import Decision, Reason, ScreeningResult
from filiform.core.safety.questions import QUESTIONS
from filiform.errors import FiliformError

COLOURS = {"go": "green", "caution": "yellow", "do_not_needle": "bold red"}
WORDS = {"go": "GO", "caution": "CAUTION", "do_not_needle": "DO NOT NEEDLE"}
CAUTIONS_SHOWN = 6


class _Names(dict[str, str]):
    def __missing__(self, key: str) -> str:
        names = {tid: spec.name for tid, spec in load_techniques().items()}
        self.update(names)
        return names.get(key, key.replace("_", " "))


TECHNIQUE_NAMES = _Names()


def decision_text(value: str) -> str:
    return f"[{COLOURS[value]}]{WORDS[value]}[/]"


def _reason_line(r: Reason) -> str:
    where = f"{escape(r.site)}: " if r.site else ""
    cites = f" [dim]({escape(', '.join(r.citations))})[/]" if r.citations else ""
    evidence = f" [dim]{escape((r.evidence or '').replace('_', ' '))}[/]" if r.evidence else ""
    return f"{where}{escape(r.text)}{evidence}{cites}"


def print_blocking(reasons: tuple[Reason, ...]) -> None:
    if not reasons:
        return
    body = "\n".join(f"- {_reason_line(r)}" for r in reasons)
    console.print(Panel(body, title="[bold red]DO NOT NEEDLE[/]", border_style="red"), highlight=False)


def _missing(names: tuple[str, ...]) -> None:
    if names:
        text = "; ".join(QUESTIONS.get(q, q.replace("_", " ")) for q in names)
        console.print("[yellow]Unanswered:[/] " + escape(text), highlight=False)


def _warnings(warnings: tuple[str, ...]) -> None:
    for w in warnings:
        console.print("[yellow]warning:[/] " + escape(w), highlight=False)


def print_screening(result: ScreeningResult) -> None:
    overall = result.decision.value
    console.print(f"Overall: {decision_text(overall)}")
    print_blocking(result.blocking_reasons())
    _warnings(result.warnings)
    table = Table(title="Screening per technique")
    for col in ("technique", "decision", "why", "precautions"):
        table.add_column(col)
    for td in result.techniques:
        blocking = [r for r in td.reasons if r.decision == Decision.DO_NOT_NEEDLE]
        others = [r for r in td.reasons if r.decision != Decision.DO_NOT_NEEDLE]
        lines = [f"[bold red]{len(blocking)} do-not-needle reason(s), listed above[/]"] if blocking else []
        lines += [_reason_line(r) for r in others[:CAUTIONS_SHOWN]]
        if len(others) > CAUTIONS_SHOWN:
            lines.append(f"[dim]+{len(others) - CAUTIONS_SHOWN} more cautions (see --json)[/]")
        table.add_row(
            escape(td.technique.value.replace("_", " ")),
            decision_text(td.decision.value),
            "\n".join(lines),
            "\n".join(escape(p) for p in td.precautions[:4]),
        )
    console.print(table, highlight=False)
    for sd in result.sites:
        console.print(f"site {escape(sd.label or sd.site)}: {decision_text(sd.decision.value)}", highlight=False)
    for cd in result.circuits:
        console.print(f"{escape(cd.path)}: {decision_text(cd.decision.value)}", highlight=False)
    _missing(result.missing_answers)


def _cite_line(ids: tuple[str, ...]) -> str:
    kb = load_kb()
    out = []
    for cid in ids:
        c = kb.citations.get(cid)
        if c is not None:
            ref = f"doi:{c.doi}" if c.doi else f"PMID {c.pmid}" if c.pmid else f"ISBN {c.isbn}"
            out.append(f"- {c.authors} ({c.year}). {c.title}. {c.journal}. {ref}")
    return escape("\n".join(out))


def _target_table(plan: Plan) -> Table:
    """The targets in narrow columns that fit 80 characters; safety notes follow the table."""
    table = Table(title="Targets")
    for col in ("#", "target", "technique", "needle", "depth", "decision"):
        table.add_column(col, overflow="fold")
    for t in plan.targets:
        n = t.needle
        low, high = n.insertion_mm
        depth = f"{low:g} mm" if low == high else f"{low:g}-{high:g} mm"
        if n.max_safe_depth_mm is not None:
            depth += f"\nnever > {n.max_safe_depth_mm:g} mm"
        table.add_row(
            str(t.rank),
            escape(t.label or t.name) + f"\n[dim]{escape(t.source)}[/]",
            escape(TECHNIQUE_NAMES[t.technique.value]),
            f"{n.length_mm} x {n.gauge_mm:g} mm",
            depth,
            decision_text(t.decision.value),
        )
    return table


def _target_safety(plan: Plan) -> None:
    """Each target's own dangers once, below the table, numbered like its row."""
    lines: list[str] = []
    for t in plan.targets:
        notes: list[str] = []
        if t.ultrasound_only:
            notes.append("[bold red]ULTRASOUND ONLY[/]: do not needle unless ultrasound guidance is recorded")
        if t.needle.lung_adjacent:
            notes.append("[bold red]LUNG-ADJACENT[/]: see 'Near the lung' below")
            if t.needle.measure_with_ultrasound:
                notes.append("[yellow]measure the depth with ultrasound[/]")
        notes += [f"[bold]{escape(d.name)}[/]: {escape(d.rule)}" for d in t.danger]
        if t.condition_note:
            notes.append(f"[italic]{escape(t.condition_note)}[/]")
        if notes:
            lines.append(f"{t.rank}. [bold]{escape(t.label or t.name)}[/]")
            lines += [f"   - {note}" for note in notes]
    if lines:
        console.print("[bold]Safety at each target:[/]\n" + "\n".join(lines), highlight=False)


def _measure_names(ids: tuple[str, ...]) -> str:
    out = []
    for mid in ids:
        try:
            inst = get_instrument(mid)
        except FiliformError:
            out.append(mid)
            continue
        out.append(f"{inst.short_name} ({inst.name})")
    return ", ".join(out)


def print_plan(plan: Plan) -> None:
    """Summary, blocking reasons, the target table, then safety notes and precautions once each."""
    grade = plan.evidence_grade.value.replace("_", " ")
    console.print(
        Panel(
            f"{escape(plan.condition_name)}\nstatus: {decision_text(plan.status)}  ·  evidence: "
            f"{escape(grade)} - {escape(plan.evidence_summary)}",
            title=f"plan: {escape(plan.condition)}",
        ),
        highlight=False,
    )
    print_blocking(plan.blocking_reasons)
    _warnings(plan.warnings)
    if plan.targets:
        console.print(_target_table(plan), highlight=False)
        _target_safety(plan)
    thorax = next((t.needle.safe_technique for t in plan.targets if t.needle.safe_technique), None)
    if thorax:
        console.print(Panel(escape(thorax), title="[bold red]Near the lung[/]", border_style="red"), highlight=False)
    if plan.precaution_details:
        every = {t.label or t.name for t in plan.targets}
        lines = []
        for p in plan.precaution_details:
            where = "all targets" if set(p.targets) >= every and len(every) > 1 else ", ".join(p.targets)
            evidence = ", ".join(e.replace("_", " ") for e in p.evidence) or "no evidence level"
            lines.append(f"- {escape(p.text)} [dim]({escape(where)}; {escape(evidence)})[/]")
        console.print("[bold]Precautions:[/]\n" + "\n".join(lines), highlight=False)
    groups: dict[str, list[str]] = {}
    for e in plan.excluded:
        groups.setdefault(e.why, []).append(f"{e.name or e.target.replace('_', ' ')} ({e.side or '-'})")
    for why, names in groups.items():
        console.print(f"[dim]not in this session: {escape(', '.join(names))}: {escape(why)}[/]", highlight=False)
    d = plan.dosing
    console.print(f"[bold]Dose:[/] {escape(dose_words(d))}. {escape(d.retention)} {escape(d.notes)}", highlight=False)
    if plan.electrical is not None:
        el = plan.electrical
        console.print(
            f"[bold]Electrical:[/] {el.frequency_hz.min:g}-{el.frequency_hz.max:g} Hz, "
            f"{el.pulse_width_us.min:g}-{el.pulse_width_us.max:g} µs, {el.duration_min.min:g}-"
            f"{el.duration_min.max:g} min, {escape(el.intensity)}"
            + ("" if el.verified else " [yellow](unverified)[/]"),
            highlight=False,
        )
    _missing(plan.missing_answers)
    console.print("[bold]Refer out if:[/] " + escape("; ".join(plan.red_flags)), highlight=False)
    console.print(
        f"[bold]Measure with:[/] {escape(_measure_names(plan.outcome_measures))}  ·  [bold]re-evaluate on:[/] "
        f"{plan.reevaluate_on.isoformat()}",
        highlight=False,
    )
    console.print("[bold]Sources:[/]\n" + _cite_line(plan.citations), highlight=False)
