"""``filiform serve``: run the clinic web app (API + pages) with uvicorn.

``--demo`` fills an empty database with the synthetic demo clinic and prints a login, so
``scripts/run`` gives a working clinic on the first try.  The default host is loopback:
binding elsewhere is a deliberate choice (put TLS in front; cookies become Secure).
"""

from __future__ import annotations

import gc
from typing import Annotated, Any

import typer

from filiform.services.operations import demo as demo_service
from filiform.storage.engine import make_engine
from filiform.storage.migrate import upgrade
from filiform.storage.settings import database_url


def _demo_login(url: str, patients: int) -> str | None:
    """Create the demo clinic if the database has none; return a demo clinician's name."""
    from filiform.services.operations.db_check import startup_check

    engine = make_engine(url)
    try:
        startup_check(engine)
        upgrade(engine)
        typer.echo(f"checking for a clinic (a new demo clinic gets {patients} synthetic patients)...")
        return demo_service.ensure_demo(engine, patients=patients)
    finally:
        engine.dispose()


def serve(
    demo: Annotated[bool, typer.Option("--demo/--no-demo", help="create the demo clinic in an empty database")] = False,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    db: Annotated[str | None, typer.Option("--db", help="database URL or SQLite path")] = None,
    demo_patients: Annotated[int, typer.Option(min=1, max=1_000_000)] = 200,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="run the portal worker (reminders, e-mail) beside the app")
    ] = True,
) -> None:
    """Start the web app; with --demo, print the demo login."""
    import uvicorn

    from filiform.app.factory import create_app
    from filiform.cli.output import fail
    from filiform.errors import FiliformError
    from filiform.services.operations.db_check import EXIT_UNUSABLE, DatabaseUnusable

    try:
        url = database_url(db)
        login = _demo_login(url, demo_patients) if demo else None
        app = create_app(url)
    except DatabaseUnusable as exc:  # damaged or foreign file: a message and exit 3, never a traceback
        fail(exc, code=EXIT_UNUSABLE)
    except (FiliformError, ValueError) as exc:
        fail(str(exc))
    shown = f"[{host}]" if ":" in host else host
    typer.echo(f"Filiform is running at http://{shown}:{port}/  (API: /api, schema: /openapi.json)")
    if login:
        typer.echo(f"demo login: {login} / {demo_service.DEMO_PASSWORD}")
    elif demo:
        typer.echo("the database already holds clinics but no demo clinician")
    background = _start_worker(app, host, port) if worker else None
    settle_heap()
    # proxy_headers=False: X-Forwarded-For is honoured only from FILIFORM_TRUSTED_PROXIES
    # (filiform.app.guard); uvicorn's default would trust it from loopback.
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False, proxy_headers=False)
    finally:
        if background is not None:
            background.stop()


def settle_heap() -> None:
    """Collect once, then move everything start-up built out of the collector's view.

    Why: the knowledge base, the matcher's index, the rules and the HRV and PDF engines live
    as long as the process; left in view, every full collection walks them all (hundreds of
    thousands of objects once the HRV engine is imported), a pause of many milliseconds that
    lands on whichever request happens to trigger it. Frozen, a collection walks only what
    requests create. Only here, once, before serving: a frozen object is never collected.
    """
    gc.collect()
    gc.freeze()


def _start_worker(app: Any, host: str, port: int) -> Any:
    """The portal worker as a thread of this process, or None with the reason printed.

    Links in e-mails need the address patients open: ``FILIFORM_PUBLIC_URL``, or this
    server's own address when it listens on loopback only (a single-machine clinic).
    """
    import os

    from filiform.cli.output import fail
    from filiform.core.concepts.clock import SystemClock
    from filiform.errors import FiliformError
    from filiform.services.operations.mailer import SmtpMailer, smtp_settings
    from filiform.services.portal.worker import WorkerThread

    base = os.environ.get("FILIFORM_PUBLIC_URL", "").rstrip("/")
    if not base and host in ("127.0.0.1", "localhost", "::1"):
        base = f"http://{'[::1]' if host == '::1' else host}:{port}"
    if not base:
        typer.echo("portal worker off: set FILIFORM_PUBLIC_URL to the address patients open (https://...)")
        return None
    try:
        settings = smtp_settings()
    except FiliformError as exc:
        fail(str(exc))
    mailer = SmtpMailer(settings) if settings else None
    clock = getattr(app.state, "clock", None) or SystemClock()
    thread = WorkerThread(app.state.sessions, clock, base_url=base, mailer=mailer)
    thread.start()
    typer.echo(
        f"portal worker on: links to {base}; "
        + ("e-mail via SMTP" if mailer else "no SMTP server set (mail waits in the outbox)")
    )
    return thread


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
