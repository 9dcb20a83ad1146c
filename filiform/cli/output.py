"""Shared console helpers so every command reports errors the same way."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import typer
from rich.console import Console

from filiform.errors import FiliformError

console = Console()
err_console = Console(stderr=True)


def fail(error: FiliformError | str, code: int = 2) -> NoReturn:
    """Print a clear error to stderr and exit non-zero (never a traceback)."""
    err_console.print(f"[bold red]error:[/] {error}", highlight=False, markup=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    """Machine output: stable, sorted JSON on stdout."""
    typer.echo(json.dumps(data, indent=2, sort_keys=True, default=str))
