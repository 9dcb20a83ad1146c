"""``filiform smart``: register, list and deactivate SMART backend clients (administrators)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from filiform.cli.database import DB_OPTION, USER_OPTION, acting, errors, existing_engine
from filiform.cli.output import console, fail
from filiform.services.access import smart
from filiform.storage.engine import session_factory, transaction

smart_app = typer.Typer(help="SMART Backend Services clients (Bulk Data access).", no_args_is_help=True)


@smart_app.command("register")
def register(
    name: str = typer.Option(..., "--name", help="What the client is (shown to administrators)."),
    acts_as: str = typer.Option(..., "--acts-as", help="Username whose permissions the client uses."),
    jwks: Path = typer.Option(..., "--jwks", help="The client's public JWKS (a JSON file)."),
    scope: str = typer.Option("system/*.read", "--scope", help="Scopes the client may be granted."),
    user: str | None = USER_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Register a backend client's public keys; prints its client_id."""
    try:
        keys = json.loads(jwks.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        fail(f"cannot read the JWKS from {jwks}: {exc}")
    with errors():
        engine = existing_engine(db)
        with transaction(session_factory(engine)) as s:
            client = smart.register_client(
                s, actor=acting(s, user), name=name, jwks=keys, scope=scope, username=acts_as
            )
            console.print(f"client_id {client.id} ({client.name}, scope {client.scope})")


@smart_app.command("list")
def list_clients(user: str | None = USER_OPTION, db: str | None = DB_OPTION) -> None:
    """The clinic's clients."""
    with errors():
        engine = existing_engine(db)
        with transaction(session_factory(engine)) as s:
            for c in smart.clients(s, actor=acting(s, user)):
                console.print(f"{c.id}  {'active' if c.active else 'inactive'}  {c.name}  {c.scope}")


@smart_app.command("deactivate")
def deactivate(
    client_id: str = typer.Argument(..., help="The client_id."),
    user: str | None = USER_OPTION,
    db: str | None = DB_OPTION,
) -> None:
    """Stop a client now (its live tokens stop working)."""
    with errors():
        engine = existing_engine(db)
        with transaction(session_factory(engine)) as s:
            smart.deactivate(s, actor=acting(s, user), client_id=client_id)
        console.print(f"deactivated {client_id}")
