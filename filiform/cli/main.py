"""The ``filiform`` command.

Each command family lives in its own module under ``filiform.cli`` and exposes
``register(app)``; adding one is a line in ``FAMILIES`` here, never an edit inside another
family's module.
"""

from __future__ import annotations

import typer

from filiform import __version__
from filiform.cli import admin, atlas, evaluate, fhir, hrv, kb, match, measure, plan, portal, recording, records, serve

app = typer.Typer(
    name="filiform",
    help="Filiform: dry-needling targets, plans, safety, records and outcomes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

FAMILIES = (kb, atlas, match, evaluate, plan, measure, hrv, records, recording, admin, serve, fhir, portal)


@app.callback()
def _root() -> None:
    """Filiform: dry-needling targets, plans, safety, records and outcomes."""


@app.command()
def version() -> None:
    """Print the Filiform version."""
    typer.echo(__version__)


for _family in FAMILIES:
    _family.register(app)


def main() -> None:  # pragma: no cover - console entry point
    app()
