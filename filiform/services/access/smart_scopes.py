"""SMART system scopes: which resource types a backend client may read.

Accepted: ``system/<Type|*>.read`` (SMART v1) and ``system/<Type|*>.rs``/``.r``/``.s``
(v2, read and search only). Writing scopes (``.write``, ``c``/``u``/``d``) are refused:
Filiform's API for backend clients reads. A granted scope is the requested one narrowed
to what the administrator registered for the client.

>>> sorted(types_of(parse("system/Patient.read system/Procedure.rs")))
['Patient', 'Procedure']
>>> types_of(parse("system/*.read")) is None
True
>>> grant(parse("system/*.read"), parse("system/Patient.read"))
'system/Patient.read'
>>> grant(parse("system/Patient.read"), parse("system/*.read system/Encounter.read"))
'system/Patient.read'
"""

from __future__ import annotations

import re

from filiform.errors import ValidationFailed

_SCOPE = re.compile(r"^system/(\*|[A-Z][A-Za-z]{1,63})\.(read|rs|r|s)$")
ALL = "*"


def parse(text: str) -> tuple[tuple[str, str], ...]:
    """(resource type or ``*``, access) per scope; anything else is a ValidationFailed."""
    scopes = text.split()
    if not scopes:
        raise ValidationFailed("no scope requested (for example system/*.read)")
    bad = [s for s in scopes if not _SCOPE.match(s)]
    if bad:
        raise ValidationFailed("unsupported scope (only system/<type>.read or .rs)", details=bad[:10])
    out = []
    for scope in scopes:
        match = _SCOPE.match(scope)
        assert match is not None
        out.append((match.group(1), match.group(2)))
    return tuple(out)


def types_of(scopes: tuple[tuple[str, str], ...]) -> frozenset[str] | None:
    """The resource types the scopes allow to read; None means every type."""
    kinds = {kind for kind, access in scopes if access in ("read", "rs", "r")}
    return None if ALL in kinds else frozenset(kinds)


def grant(registered: tuple[tuple[str, str], ...], requested: tuple[tuple[str, str], ...]) -> str:
    """The requested scopes the registration covers (space-separated); empty when none."""
    allowed = types_of(registered)
    kept: list[str] = []
    for kind, access in requested:
        if allowed is None or kind in allowed:
            kept.append(f"system/{kind}.{access}")
        elif kind == ALL:  # "everything" asked, part registered: the registered part
            kept.extend(f"system/{t}.{access}" for t in sorted(allowed))
    return " ".join(dict.fromkeys(kept))
