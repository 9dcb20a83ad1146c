"""What the database commands share: the ``--db``/``--user`` options, the engine, the
actor, a progress bar, and one way of turning failures into a message and exit code 2.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from filiform.cli.output import console, fail
from filiform.errors import FiliformError
from filiform.services.access import command_line
from filiform.services.access.context import Actor
from filiform.storage.engine import make_engine
from filiform.storage.migrate import current_revision, head_revision
from filiform.storage.settings import database_url

DB_OPTION = typer.Option(
    None, "--db", help="Database URL (default: FILIFORM_DATABASE_URL or sqlite:///var/filiform.db)."
)
USER_OPTION = typer.Option(None, "--user", help="Username to act as (default: the admin of the only clinic).")


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
def errors() -> Iterator[None]:
    """Domain errors, tool failures and file or database problems as a message and exit 2."""
    try:
        yield
    except FiliformError as exc:
        fail(exc)
    except subprocess.CalledProcessError as exc:
        fail(f"{Path(str(exc.cmd[0])).name} failed: {(exc.stderr or '').strip()}")
    except (SQLAlchemyError, OSError, ValueError, KeyError) as exc:
        fail(describe_error(exc))


def existing_engine(db: str | None) -> sa.Engine:
    """An engine on an existing, up-to-date database: reading commands never create one."""
    engine = make_engine(database_url(db), must_exist=True)
    if current_revision(engine) != head_revision():
        fail("the database schema is not up to date: run `filiform db upgrade` first")
    return engine


def acting(s: Session, user: str | None) -> Actor:
    """The actor a command runs as (audited as theirs)."""
    return command_line.actor_for(s, user, client=f"cli:{os.getenv('USER', '?')}")


def progress_bar() -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )
