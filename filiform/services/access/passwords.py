"""Password rules and hashing: the one place a password is judged, hashed or checked.

Policy (NIST SP 800-63B-4, section 3.1.1.2, final August 2025): a password that may be
the only factor (TOTP is optional here) has at least :data:`MIN_LENGTH` = 15 characters;
any characters are allowed, up to :data:`MAX_LENGTH`, with no composition rules; and it is
refused when it is common, expected or known from breaches.  That check is zxcvbn (its
frequency lists of leaked passwords, English words and names, plus keyboard patterns,
repeats, sequences and dates), given the username, display name and clinic name as
context; a score under :data:`MIN_SCORE` (3: about 10^8 guesses or more) is refused, with
zxcvbn's warning as the reason.  So ``aaaaaaaaaaaa`` (repeat) and ``password1234``
(leaked-list word plus a sequence) are refused, and so is any 15-character variant of
them.

Hashes are argon2id (RFC 9106 low-memory profile).  :func:`verify` spends the same work
for an unknown or inactive user as for a real one (a dummy hash), so response time does
not tell whether a username exists.
"""

from __future__ import annotations

import os
import re
import secrets
import threading
from collections.abc import Iterable
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST

from filiform.errors import ValidationFailed

MIN_LENGTH = 15
MAX_LENGTH = 1024
MIN_SCORE = 3
MIN_OWN_CHARACTERS = 8  # letters and digits left once the context words are taken out
ARGON2_PROFILE_ENV = "FILIFORM_ARGON2_PROFILE"


@lru_cache(maxsize=4)
def _hasher_for(profile: str) -> PasswordHasher:
    if profile in ("", "default"):
        # argon2id, RFC 9106 low-memory profile (t=3, 64 MiB, p=4): above OWASP's minimum
        # of 19 MiB; a hash costs tens of milliseconds, which is what makes guessing slow.
        return PasswordHasher(type=Type.ID)
    if profile == "test":
        # Test suites create hundreds of users: the cheapest argon2id parameters keep them
        # fast.  Verification reads the parameters from each hash, so nothing else changes.
        return PasswordHasher.from_parameters(CHEAPEST)
    raise ValueError(f"{ARGON2_PROFILE_ENV} must be 'default' or 'test', not '{profile}'")


def hasher() -> PasswordHasher:
    """The password hasher; ``FILIFORM_ARGON2_PROFILE=test`` is for test suites only."""
    return _hasher_for(os.environ.get(ARGON2_PROFILE_ENV, ""))


def problems(password: str, *, context: Iterable[str] = ()) -> list[str]:
    """Why ``password`` may not be chosen (empty: acceptable)."""
    if len(password) < MIN_LENGTH:
        return [f"a password needs at least {MIN_LENGTH} characters (a few unrelated words work well)"]
    if len(password) > MAX_LENGTH:
        return [f"a password has at most {MAX_LENGTH} characters"]
    from zxcvbn import zxcvbn  # imported here: it loads its word lists (~0.3 s) on first use

    words = [w for w in (c.strip() for c in context) if w]
    rest = password.lower()
    for word in sorted(words, key=len, reverse=True):
        if len(word) >= 3:
            rest = rest.replace(word.lower(), "")
    if len(re.sub(r"[\W_]+", "", rest)) < MIN_OWN_CHARACTERS:
        return ["it is mostly your username, your name or the clinic's name"]
    # Context words (username, name, clinic, product) count as known words: a password
    # built mostly from them scores low.
    result = zxcvbn(password[:100], user_inputs=[*words, "filiform", "dry needling", "clinic"])
    if result["score"] >= MIN_SCORE:
        return []
    feedback = result.get("feedback", {})
    reason = feedback.get("warning") or "it is too easy to guess (common, leaked, or built from your name or username)"
    return [reason, *feedback.get("suggestions", [])]


def check(password: str, *, context: Iterable[str] = ()) -> None:
    """Raise ValidationFailed with the reasons when ``password`` may not be chosen."""
    found = problems(password, context=context)
    if found:
        raise ValidationFailed("choose another password: " + found[0], details=found[1:])


def hash_password(password: str) -> str:
    """The argon2id hash of an (already accepted) password."""
    if not password:
        raise ValidationFailed("the password is empty")
    return hasher().hash(password)


_dummy: dict[str, str] = {}
_dummy_lock = threading.Lock()


def _dummy_hash() -> str:
    profile = os.environ.get(ARGON2_PROFILE_ENV, "")
    with _dummy_lock:
        if profile not in _dummy:
            _dummy[profile] = hasher().hash(secrets.token_urlsafe(24))
        return _dummy[profile]


def verify(stored: str | None, password: str) -> bool:
    """Check ``password`` against ``stored``; with None (no such user) spend the same time."""
    target = stored if stored and stored.startswith("$argon2") else _dummy_hash()
    ok: bool = False
    try:
        ok = hasher().verify(target, password)
    except (VerificationError, InvalidHashError):
        ok = False
    return ok and target is stored
