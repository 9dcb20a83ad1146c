"""Secrets handed out in URLs and cookies: random, long, and stored only as SHA-256.

A copy of the database therefore opens no link, no portal session and no calendar feed.
256-bit tokens make guessing hopeless; the rate limits make trying expensive as well.
"""

from __future__ import annotations

import hashlib
import re
import secrets

TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{40,64}$")


def new_token() -> tuple[str, str]:
    """(token to hand out, hash to store)."""
    raw = secrets.token_urlsafe(32)
    return raw, hash_token(raw)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("ascii", "replace")).hexdigest()


def well_formed(raw: str) -> bool:
    """Whether ``raw`` could be one of our tokens (anything else is refused before any lookup)."""
    return bool(TOKEN_SHAPE.match(raw or ""))
