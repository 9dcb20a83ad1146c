"""SMART Backend Services over HTTP: the token endpoint and client registration.

``POST /api/fhir/auth/token`` is the OAuth 2.0 client-credentials grant with a signed JWT
assertion (form-encoded, as RFC 6749/7523 and SMART ask); its refusals are OAuth error
objects (``{"error": "invalid_client", ...}``), the format token clients expect.
``/api/smart/clients`` lets an administrator register a client's public JWKS, list the
clinic's clients and deactivate one (the same service as ``filiform smart`` and the admin
page).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from filiform.api.deps import CurrentActor, Envelope, StrictIn, UnitOfWork
from filiform.api.fhir import fhir_base
from filiform.services.access import smart
from filiform.storage.engine import transaction

router = APIRouter(tags=["smart"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@router.post("/fhir/auth/token", response_class=JSONResponse, response_model=None)
async def token(request: Request) -> JSONResponse:
    """Exchange a signed client assertion for a five-minute bearer token."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype != "application/x-www-form-urlencoded":
        return _oauth_error(smart.OAuthError("invalid_request", "send application/x-www-form-urlencoded"))
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        with transaction(request.app.state.sessions) as s:
            granted = smart.issue_token(s, form=fields, token_url=fhir_base(request) + "/auth/token")
    except smart.OAuthError as exc:
        return _oauth_error(exc)
    return JSONResponse(granted, headers=NO_STORE)


def _oauth_error(exc: smart.OAuthError) -> JSONResponse:
    return JSONResponse({"error": exc.code, "error_description": exc.message}, status_code=exc.status, headers=NO_STORE)


class ClientIn(StrictIn):
    name: str
    username: str
    scope: str = "system/*.read"
    jwks: dict[str, Any]


class ClientOut(BaseModel):
    client_id: str
    name: str
    username: str
    scope: str
    active: bool
    kids: list[str]


def _out(s: Any, client: Any) -> ClientOut:
    from filiform.storage.models import User

    user = s.get(User, client.user_id)
    return ClientOut(
        client_id=client.id,
        name=client.name,
        username=user.username if user else "",
        scope=client.scope,
        active=client.active,
        kids=[k.get("kid", "") for k in client.jwks.get("keys", [])],
    )


@router.post("/smart/clients", status_code=201, response_model=Envelope[ClientOut])
def register(body: ClientIn, who: CurrentActor, s: UnitOfWork) -> Envelope[ClientOut]:
    """Register a backend client's public JWKS (administrators)."""
    client = smart.register_client(
        s, actor=who, name=body.name, jwks=body.jwks, scope=body.scope, username=body.username
    )
    return Envelope(data=_out(s, client))


@router.get("/smart/clients", response_model=Envelope[list[ClientOut]])
def list_clients(who: CurrentActor, s: UnitOfWork) -> Envelope[list[ClientOut]]:
    return Envelope(data=[_out(s, c) for c in smart.clients(s, actor=who)])


@router.post("/smart/clients/{client_id}/deactivate", response_model=Envelope[ClientOut])
def deactivate(client_id: str, who: CurrentActor, s: UnitOfWork) -> Envelope[ClientOut]:
    """Stop a client at once: no new tokens, live tokens revoked."""
    smart.deactivate(s, actor=who, client_id=client_id)
    client = next(c for c in smart.clients(s, actor=who) if c.id == client_id)
    return Envelope(data=_out(s, client))
