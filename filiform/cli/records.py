"""Records commands: a synthetic demo clinic (operator commands live in ``cli/admin.py``,
writing clinical records in ``cli/recording.py``).

Every command takes ``--db URL`` (default ``FILIFORM_DATABASE_URL`` or ./var/filiform.db).
Errors end with a message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import typer

from filiform.cli.database import DB_OPTION, describe_error, errors, progress_bar
from filiform.cli.output import console
from filiform.services.operations import demo as demo_service
from filiform.storage.engine import make_engine
from filiform.storage.migrate import upgrade
from filiform.storage.settings import database_url

__all__ = ["DB_OPTION", "demo", "describe_error", "register"]


def demo(
    patients: int = typer.Option(
        200, "--patients", min=1, max=1_000_000, help="How many synthetic patients (about 10 sessions each)."
    ),
    seed: int = typer.Option(7, "--seed", help="Random seed (same seed, same clinic)."),
    db: str | None = DB_OPTION,
) -> None:
    """Create a believable synthetic clinic (no real people's data)."""
    with errors():
        engine = make_engine(database_url(db))
        upgrade(engine)
        with progress_bar() as bar:
            task = bar.add_task("patients", total=patients)
            stats = demo_service.generate(engine, patients=patients, seed=seed, progress=lambda n: bar.advance(task, n))
        console.print(f"clinic {stats.clinic_id}: " + ", ".join(f"{v} {k}" for k, v in stats.rows.items()))
        console.print(f"users (password '{demo_service.DEMO_PASSWORD}'): " + ", ".join(stats.usernames[:4]) + ", ...")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
