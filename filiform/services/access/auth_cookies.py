"""The session cookie and the CSRF token bound to it.

Kept apart from the session store so the binding rule (what the cookie carries and how it
is checked) reads on its own; ``auth_sessions`` re-exports these names.
"""

from __future__ import annotations

import hashlib
import hmac

from filiform.services.access import secrets as keys


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_key(database_url: str) -> bytes:
    """The key that binds CSRF tokens to sessions (derived from the master key)."""
    return keys.subkey(keys.master_key(database_url), "csrf-binding")


def session_token(cookie: str) -> str:
    """The session token inside a session cookie value (the part before the first dot)."""
    return cookie.split(".", 1)[0]


def bind_cookie(key: bytes, token: str, csrf: str) -> str:
    """The session cookie value ``token.csrf.mac``.

    Why: without a migration there is nowhere in the database to remember which CSRF token
    belongs to which session, and the token must not change at login (API clients keep the
    one they fetched).  So the HttpOnly session cookie carries it, with an HMAC over the
    session token's hash and the CSRF token; only the server can make a valid pair, and a
    page cannot read or change it, so a CSRF cookie planted from elsewhere does not help.
    """
    return f"{token}.{csrf}.{keys.mac(key, token_hash(token), csrf)}"


def bound_csrf(key: bytes, cookie: str) -> str | None:
    """The CSRF token a session cookie is bound to, or None (unbound, forged, other key)."""
    parts = cookie.split(".")
    if len(parts) != 3 or not all(parts) or len(cookie) > 400:
        return None
    token, csrf, tag = parts
    expected = keys.mac(key, token_hash(token), csrf)
    return csrf if hmac.compare_digest(tag.encode(), expected.encode()) else None
