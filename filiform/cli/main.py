"""The ``filiform`` command, which imports a command's code only when that command runs.

Each command family lives in its own module under ``filiform.cli`` and exposes
``register(app)``. Importing them all made ``filiform --help`` take seconds (SQLAlchemy,
Alembic, numpy, the web stack), so the root group knows each top-level command only by
name, family and one-line help (``COMMANDS``) and imports the family when the command is
run or its own help is asked for. Adding a command is a line in ``COMMANDS`` and a branch
in ``_family``; ``tests/cli/test_cli_registry.py`` checks both against what the families
really register, so the listing cannot drift from the commands.
"""

from __future__ import annotations

from difflib import get_close_matches
from types import ModuleType
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from filiform import __version__

# name: (family module under filiform.cli, the help line shown by `filiform --help`), in listing order
COMMANDS: dict[str, tuple[str, str]] = {
    "match": ("match", "Rank trigger points whose referral patterns explain the drawing, with reasons."),
    "plan": ("plan", "Build a treatment plan. Exit 0 go, 3 caution, 4 do not needle, 2 bad input."),
    "screen": ("plan", "Screen intake answers per technique, site and circuit. Exit 0 go, 3 caution, 4 do not needle."),
    "demo": ("records", "Create a believable synthetic clinic (no real people's data)."),
    "backup": ("admin", "Online, consistent, signed backup (SQLite backup API or pg_dump)."),
    "restore": ("admin", "Verify a backup, then restore it (refused while a server uses the database)."),
    "serve": ("serve", "Start the web app; with --demo, print the demo login."),
    "kb": ("kb", "The clinical knowledge base: targets, trigger points, sources."),
    "atlas": ("atlas", "The body-surface atlas (patient's own left and right)."),
    "eval": ("evaluate", "Evaluate engines against published cases."),
    "measure": ("measure", "Outcome measures: exact scoring, MCID interpretation, trends and plots."),
    "hrv": ("hrv", "Heart-rate variability during a session and an early vasovagal warning."),
    "record": ("recording", "Write clinical records (JSON in, validated as on every face)."),
    "audit": ("admin", "Verify, anchor and report the keyed audit trail."),
    "db": ("admin", "Database schema and integrity."),
    "user": ("admin", "Account recovery from the server's console."),
    "export": ("fhir", "Export records as FHIR R4."),
    "import": ("fhir", "Import FHIR R4 records."),
    "billing": ("fhir", "Billing summaries (CPT 20560/20561, billable ICD-10-CM)."),
    "portal": ("portal", "The patient portal's worker: scheduled questionnaires, reminders, e-mail."),
    "clinic": ("portal", "A clinic's time zone and contact details."),
}


def _family(name: str) -> ModuleType:  # noqa: C901 - one plain import per family
    """Import one family module. Plain ``from`` imports, so the import graph (and the layer
    contract) still sees every dependency of the CLI."""
    if name == "match":
        from filiform.cli import match

        return match
    if name == "plan":
        from filiform.cli import plan

        return plan
    if name == "records":
        from filiform.cli import records

        return records
    if name == "admin":
        from filiform.cli import admin

        return admin
    if name == "serve":
        from filiform.cli import serve

        return serve
    if name == "kb":
        from filiform.cli import kb

        return kb
    if name == "atlas":
        from filiform.cli import atlas

        return atlas
    if name == "evaluate":
        from filiform.cli import evaluate

        return evaluate
    if name == "measure":
        from filiform.cli import measure

        return measure
    if name == "hrv":
        from filiform.cli import hrv

        return hrv
    if name == "recording":
        from filiform.cli import recording

        return recording
    if name == "fhir":
        from filiform.cli import fhir

        return fhir
    if name == "portal":
        from filiform.cli import portal

        return portal
    raise KeyError(name)


def family_commands(family: str) -> dict[str, Any]:
    """The click commands a family registers, by name (what its ``register`` adds)."""
    holder = typer.Typer()
    holder.callback()(lambda: None)  # a callback makes typer build a group even for one command
    _family(family).register(holder)
    group = typer.main.get_command(holder)
    assert isinstance(group, TyperGroup)
    return dict(group.commands)


class LazyGroup(TyperGroup):
    """The root group: lists every command from ``COMMANDS``, imports one only to run it."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in COMMANDS if name not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        if found is not None or cmd_name not in COMMANDS:
            return found
        family, help_line = COMMANDS[cmd_name]
        if self._listing:  # the root help needs the name and the line, not the code
            return TyperCommand(name=cmd_name, short_help=help_line, callback=None)
        command = family_commands(family)[cmd_name]
        self.commands[cmd_name] = command
        return command

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """An unknown name is refused with the close names among all commands, loaded or not."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and not ctx.resilient_parsing and self.get_command(ctx, name) is None:
            close = get_close_matches(name, self.list_commands(ctx))
            hint = f" Did you mean {', '.join(repr(m) for m in close)}?" if close else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="filiform",
    cls=LazyGroup,
    help="Filiform: dry-needling targets, plans, safety, records and outcomes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Filiform: dry-needling targets, plans, safety, records and outcomes."""


@app.command()
def version() -> None:
    """Print the Filiform version."""
    typer.echo(__version__)


def main() -> None:  # pragma: no cover - console entry point
    app()
