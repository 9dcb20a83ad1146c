"""SMART Backend Services: client registration, the client-credentials grant, bearer tokens.

Why asymmetric keys: a backend client proves who it is with a short JWT signed by its own
private key (RS384 or ES384); the server keeps only the public JWKS an administrator
registered, so nothing stored here lets anyone act as the client. The assertion lives at
most five minutes and its ``jti`` is remembered until then (in the database, so every
process refuses a replay). Access tokens are random, live five minutes, and only their
SHA-256 is stored. A client acts as a named user of the clinic (its audit entries name
that person) and reads only what both that user's role and the granted scopes allow.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from filiform.errors import FiliformError, NotFound, ValidationFailed
from filiform.services.access import smart_scopes
from filiform.services.access.context import Actor, Perm, Role, require
from filiform.services.operations import audit
from filiform.storage.models import SmartClient, SmartJti, SmartToken, User

ALGORITHMS = ["RS384", "ES384"]
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_LIFE = timedelta(minutes=5)
TOKEN_LIFE = timedelta(minutes=5)
CLOCK_SKEW = timedelta(seconds=60)


class OAuthError(FiliformError):
    """A refused token request, with its RFC 6749 error code (``invalid_client``...)."""

    status = 400
    code = "invalid_request"

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code = error
        self.status = status


@dataclass(frozen=True)
class Bearer:
    """Who a bearer token speaks for, and which resource types it may read (None: all)."""

    actor: Actor
    client_id: str
    types: frozenset[str] | None


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def check_jwks(jwks: Any) -> dict[str, Any]:
    """A public JWKS with RSA (2048+ bits) or EC P-384 keys, each with a ``kid``."""
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
        raise ValidationFailed('a JWKS is {"keys": [...]} with at least one key')
    problems: list[str] = []
    for n, key in enumerate(jwks["keys"], 1):
        if not isinstance(key, dict):
            problems.append(f"key {n}: not an object")
            continue
        if "d" in key or "p" in key:
            problems.append(f"key {n}: a private key; register the public key only")
        if not isinstance(key.get("kid"), str) or not key["kid"]:
            problems.append(f"key {n}: needs a kid")
        if key.get("kty") == "EC" and key.get("crv") != "P-384":
            problems.append(f"key {n}: EC keys must be P-384 (ES384)")
        elif key.get("kty") not in ("RSA", "EC"):
            problems.append(f"key {n}: kty must be RSA or EC")
    if problems:
        raise ValidationFailed("invalid JWKS", details=problems[:10])
    try:
        keys = KeySet.import_key_set(cast(Any, jwks))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise ValidationFailed(f"invalid JWKS: {exc}") from None
    short = [k.kid for k in keys.keys if k.key_type == "RSA" and cast(Any, k.raw_value).key_size < 2048]
    if short:
        raise ValidationFailed("RSA keys need at least 2048 bits", details=[str(k) for k in short])
    return {"keys": [k.as_dict(private=False) for k in keys.keys]}


def register_client(session: Session, *, actor: Actor, name: str, jwks: Any, scope: str, username: str) -> SmartClient:
    """An administrator registers a backend client acting as ``username`` of the clinic."""
    require(actor, Perm.MANAGE_USERS)
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise ValidationFailed("a client needs a name (1-200 characters)")
    smart_scopes.parse(scope)
    user = session.execute(sa.select(User).where(User.username == username)).scalar_one_or_none()
    if user is None or user.clinic_id != actor.clinic_id or not user.active:
        raise ValidationFailed(f"no active user '{username}' in this clinic for the client to act as")
    as_user = Actor(user_id=user.id, clinic_id=user.clinic_id, role=Role(user.role))
    if not (as_user.can(Perm.READ_CLINICAL) or as_user.role == Role.ADMIN):
        raise ValidationFailed(f"user '{username}' (role {user.role}) may not read records: choose a clinical user")
    client = SmartClient(
        id=uuid.uuid4().hex,
        clinic_id=actor.clinic_id,
        name=name,
        user_id=user.id,
        scope=" ".join(scope.split()),
        jwks=check_jwks(jwks),
        created_by=actor.user_id,
    )
    session.add(client)
    session.flush()
    audit.record(session, actor=actor, action="create", entity="smart_client", detail={"client_id": client.id})
    return client


def clients(session: Session, *, actor: Actor) -> list[SmartClient]:
    require(actor, Perm.MANAGE_USERS)
    stmt = sa.select(SmartClient).where(SmartClient.clinic_id == actor.clinic_id).order_by(SmartClient.created_at)
    return list(session.execute(stmt).scalars())


def deactivate(session: Session, *, actor: Actor, client_id: str) -> None:
    """Stop a client: no new tokens, and its live tokens stop working at once."""
    require(actor, Perm.MANAGE_USERS)
    client = session.get(SmartClient, client_id)
    if client is None or client.clinic_id != actor.clinic_id:
        raise NotFound("no such client")
    client.active = False
    session.execute(sa.delete(SmartToken).where(SmartToken.client_id == client_id))
    audit.record(session, actor=actor, action="deactivate", entity="smart_client", detail={"client_id": client_id})


def _verified(session: Session, assertion: str, token_url: str) -> tuple[SmartClient, dict[str, Any]]:
    """The client and the claims of a valid, fresh, unreplayed assertion (else OAuthError)."""
    try:
        header_client = _unverified_issuer(assertion)
    except (ValueError, UnicodeDecodeError) as exc:
        raise OAuthError("invalid_client", f"client_assertion is not a JWT ({exc})", 401) from None
    client = session.get(SmartClient, header_client[:64])
    if client is None or not client.active:
        raise OAuthError("invalid_client", "unknown or inactive client", 401)
    try:
        token = jwt.decode(assertion, KeySet.import_key_set(cast(Any, client.jwks)), algorithms=ALGORITHMS)
        jwt.JWTClaimsRegistry(
            leeway=int(CLOCK_SKEW.total_seconds()),
            iss={"essential": True, "value": client.id},
            sub={"essential": True, "value": client.id},
            aud={"essential": True, "value": token_url},
            exp={"essential": True},
            jti={"essential": True},
        ).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise OAuthError("invalid_client", f"client_assertion refused: {exc}", 401) from None
    exp = datetime.fromtimestamp(int(token.claims["exp"]), UTC)
    if exp - _now() > MAX_ASSERTION_LIFE + CLOCK_SKEW:
        raise OAuthError("invalid_client", "client_assertion exp is more than five minutes ahead", 401)
    return client, {**token.claims, "exp_at": exp}


def _unverified_issuer(assertion: str) -> str:
    """The ``iss`` claim before verification: it only says which JWKS to verify with."""
    parts = assertion.split(".")
    if len(parts) != 3 or len(assertion) > 16_000:
        raise ValueError("not a compact JWS")
    payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    if not isinstance(payload, dict) or not isinstance(payload.get("iss"), str):
        raise ValueError("no iss claim")
    return str(payload["iss"])


def _remember_jti(session: Session, client_id: str, jti: str, exp: datetime) -> None:
    session.execute(sa.delete(SmartJti).where(SmartJti.expires_at < _now()))
    if len(jti) > 200 or session.get(SmartJti, (client_id, jti)) is not None:
        raise OAuthError("invalid_client", "client_assertion jti was already used (replay)", 401)
    session.add(SmartJti(client_id=client_id, jti=jti, expires_at=exp))
    session.flush()


def issue_token(session: Session, *, form: dict[str, str], token_url: str) -> dict[str, Any]:
    """The client-credentials grant: a signed assertion in, a short-lived bearer token out."""
    if form.get("grant_type") != "client_credentials":
        raise OAuthError("unsupported_grant_type", "grant_type must be client_credentials")
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise OAuthError("invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}")
    assertion = form.get("client_assertion") or ""
    client, claims = _verified(session, assertion, token_url)
    try:
        requested = smart_scopes.parse(form.get("scope", ""))
    except ValidationFailed as exc:
        raise OAuthError("invalid_scope", exc.message) from None
    granted = smart_scopes.grant(smart_scopes.parse(client.scope), requested)
    if not granted:
        raise OAuthError("invalid_scope", "none of the requested scopes is registered for this client")
    _remember_jti(session, client.id, str(claims["jti"]), claims["exp_at"])
    token = secrets.token_urlsafe(32)
    session.execute(sa.delete(SmartToken).where(SmartToken.expires_at < _now()))
    session.add(SmartToken(token_hash=_hash(token), client_id=client.id, scope=granted, expires_at=_now() + TOKEN_LIFE))
    user = session.get(User, client.user_id)
    actor = Actor(user_id=client.user_id, clinic_id=client.clinic_id, role=Role(user.role if user else "admin"))
    audit.record(session, actor=actor, action="token", entity="smart_client", detail={"client_id": client.id})
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": int(TOKEN_LIFE.total_seconds()),
        "scope": granted,
    }


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def bearer(session: Session, token: str, client_address: str) -> Bearer | None:
    """The actor behind a live token whose client and user are still active, else None."""
    if not token or len(token) > 200:
        return None
    row = session.get(SmartToken, _hash(token))
    if row is None or _aware(row.expires_at) <= _now():
        return None
    client = session.get(SmartClient, row.client_id)
    user = session.get(User, client.user_id) if client is not None else None
    if client is None or not client.active or user is None or not user.active:
        return None
    actor = Actor(
        user_id=user.id,
        clinic_id=client.clinic_id,
        role=Role(user.role),
        client=f"smart:{client.id[:8]}@{client_address}",
    )
    return Bearer(actor=actor, client_id=client.id, types=smart_scopes.types_of(smart_scopes.parse(row.scope)))
