"""Records commands: demo data (audit, backup, restore and the database: ``cli.admin``).

Every command takes ``--db URL`` (default ``FILIFORM_DATABASE_URL`` or ./var/filiform.db).
Errors end with a message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from sqlalchemy.exc import SQLAlchemyError

from filiform.cli.output import console, fail
from filiform.errors import FiliformError
from filiform.services.operations import demo as demo_service
from filiform.storage.engine import make_engine
from filiform.storage.migrate import upgrade
from filiform.storage.settings import database_url

DB_OPTION = typer.Option(
    None, "--db", help="Database URL (default: FILIFORM_DATABASE_URL or sqlite:///var/filiform.db)."
)


def describe_error(exc: Exception) -> str:
    """A plain sentence for an unexpected file or database failure.

    Users read the message, so it names what went wrong with which file rather than a
    Python class (``FileNotFoundError: [Errno 2] ...``).
    """
    if isinstance(exc, OSError):
        name = exc.filename if exc.filename is not None else "the file"
        if isinstance(exc, FileNotFoundError):
            return f"no such file or folder: {name}"
        if isinstance(exc, PermissionError):
            return f"permission denied: {name}"
        if isinstance(exc, IsADirectoryError):
            return f"{name} is a folder"
        if isinstance(exc, NotADirectoryError):
            return f"{name}: part of the path is not a folder"
        if isinstance(exc, FileExistsError):
            return f"{name} already exists"
        return f"cannot use {name}: {exc.strerror or exc}"
    if isinstance(exc, SQLAlchemyError):
        cause = getattr(exc, "orig", None) or exc
        first = str(cause).splitlines()[0] if str(cause) else "unknown problem"
        return f"database error: {first}"
    first = str(exc).splitlines()[0] if str(exc) else "unexpected value"
    return f"invalid input: {first}"


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except FiliformError as exc:
        fail(exc)
    except subprocess.CalledProcessError as exc:
        fail(f"{Path(str(exc.cmd[0])).name} failed: {(exc.stderr or '').strip()}")
    except (SQLAlchemyError, OSError, ValueError) as exc:
        fail(describe_error(exc))


def demo(
    patients: int = typer.Option(
        200, "--patients", min=1, max=1_000_000, help="How many synthetic patients (about 10 sessions each)."
    ),
    seed: int = typer.Option(7, "--seed", help="Random seed (same seed, same clinic)."),
    db: str | None = DB_OPTION,
) -> None:
    """Create a believable synthetic clinic (no real people's data)."""
    with _errors():
        engine = make_engine(database_url(db))
        upgrade(engine)
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
        ) as bar:
            task = bar.add_task("patients", total=patients)
            stats = demo_service.generate(engine, patients=patients, seed=seed, progress=lambda n: bar.advance(task, n))
        console.print(f"clinic {stats.clinic_id}: " + ", ".join(f"{v} {k}" for k, v in stats.rows.items()))
        console.print(f"users (password '{demo_service.DEMO_PASSWORD}'): " + ", ".join(stats.usernames[:4]) + ", ...")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
