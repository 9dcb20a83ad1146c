"""The ``filiform`` command.

Each command family lives in its own module under ``filiform.cli`` and exposes
``register(app)``. Families are discovered from ``FAMILIES`` so that adding one is a
one-line change here and never an edit inside another family's module.
"""

from __future__ import annotations

import importlib

import typer

from filiform import __version__

app = typer.Typer(
    name="filiform",
    help="Filiform: dry-needling targets, plans, safety, records and outcomes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

FAMILIES = (
    "kb",
    "atlas",
    "match",
    "evaluate",
    "plan",
    "measure",
    "hrv",
    "records",
    "admin",
    "serve",
    "fhir",
    "portal",
)


@app.callback()
def _root() -> None:
    """Filiform: dry-needling targets, plans, safety, records and outcomes."""


@app.command()
def version() -> None:
    """Print the Filiform version."""
    typer.echo(__version__)


def _register_families() -> None:
    for name in FAMILIES:
        module_name = f"filiform.cli.{name}"
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue  # family not built yet
            raise
        module.register(app)


_register_families()


def main() -> None:  # pragma: no cover - console entry point
    app()
