"""``filiform portal worker`` (the outbox and schedule worker) and ``filiform clinic setup``.

The worker runs beside the web app: every ``--every`` seconds it queues the questionnaire
links and appointment reminders now due and hands queued e-mail to the SMTP server named
in the environment (see :mod:`filiform.services.operations.mailer`).  Without an SMTP
server it still queues, so nothing is lost; messages wait in the outbox.
"""

from __future__ import annotations

import os
import time
from typing import Annotated

import sqlalchemy as sa
import typer

from filiform.core.concepts.clock import SystemClock
from filiform.errors import FiliformError
from filiform.services.operations.mailer import SmtpMailer, smtp_settings
from filiform.services.portal.worker import run_pass
from filiform.services.records.clinic_settings import configure, server_timezone, settings_of
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.migrate import upgrade
from filiform.storage.models import Clinic
from filiform.storage.settings import database_url

portal_app = typer.Typer(help="The patient portal's worker: scheduled questionnaires, reminders, e-mail.")
clinic_app = typer.Typer(help="A clinic's time zone and contact details.")


def _fail(message: str, details: list[str]) -> None:
    typer.echo(f"error: {message}", err=True)
    for d in details:
        typer.echo(f"  - {d}", err=True)
    raise typer.Exit(2)


@portal_app.command("worker")
def worker(
    db: Annotated[str | None, typer.Option(help="Database URL (default FILIFORM_DATABASE_URL / ./var)")] = None,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit")] = False,
    every: Annotated[float, typer.Option(min=1.0, help="Seconds between passes")] = 60.0,
) -> None:
    """Queue what is due and send queued e-mail (needs FILIFORM_PUBLIC_URL for links)."""
    try:
        settings = smtp_settings()
    except FiliformError as exc:
        _fail(exc.message, exc.details)
    base = os.environ.get("FILIFORM_PUBLIC_URL", "").rstrip("/")
    if not base.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        _fail("set FILIFORM_PUBLIC_URL to the address patients open (https://...)", [])
    engine = make_engine(database_url(db))
    upgrade(engine)
    sessions, clock = session_factory(engine), SystemClock()
    mailer = SmtpMailer(settings) if settings else None
    while True:
        report = run_pass(sessions, clock, base_url=base, mailer=mailer)
        typer.echo(report.line())
        for note in report.skipped:
            typer.echo(f"  skipped: {note}")
        if once:
            return
        time.sleep(every)


@clinic_app.command("setup")
def setup(
    timezone: Annotated[str | None, typer.Option(help="IANA zone, e.g. Europe/Dublin (default: the server's)")] = None,
    address: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    email: Annotated[str | None, typer.Option()] = None,
    link_hours: Annotated[int | None, typer.Option(min=1, max=720, help="Patient link lifetime")] = None,
    clinic_id: Annotated[int | None, typer.Option(help="Which clinic (default: the only one)")] = None,
    db: Annotated[str | None, typer.Option(help="Database URL")] = None,
) -> None:
    """Set a clinic's time zone and contact details (what patients see)."""
    engine = make_engine(database_url(db))
    upgrade(engine)
    with transaction(session_factory(engine)) as session:
        ids = list(session.execute(sa.select(Clinic.id).order_by(Clinic.id)).scalars())
        chosen = clinic_id if clinic_id is not None else (ids[0] if len(ids) == 1 else None)
        if chosen is None or chosen not in ids:
            _fail("name the clinic with --clinic-id", [f"clinics: {', '.join(map(str, ids)) or 'none'}"])
            return
        row = settings_of(session, chosen)
        try:
            configure(
                session,
                clinic_id=chosen,
                actor=None,
                timezone=timezone or row.timezone or server_timezone(),
                address=address if address is not None else row.address,
                phone=phone if phone is not None else row.phone,
                email=email if email is not None else row.email,
                calendar_names=row.calendar_names,
                link_hours=link_hours or row.link_hours,
                reminder_hours=row.reminder_hours,
            )
        except FiliformError as exc:
            _fail(exc.message, exc.details)
        typer.echo(f"clinic {chosen}: time zone {row.timezone}, link lifetime {row.link_hours} h")


def register(app: typer.Typer) -> None:
    app.add_typer(portal_app, name="portal")
    app.add_typer(clinic_app, name="clinic")
