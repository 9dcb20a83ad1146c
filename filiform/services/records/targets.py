"""Knowledge-base target ids for insertions: a needle names a target the knowledge base has.

``FILIFORM_SKIP_KB_TARGETS=1`` switches the lookup off (only the id's shape is checked),
e.g. for a clinic's local targets before they are in the knowledge base. A knowledge base
that fails to load is an error, never a silent "any id goes".
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from pydantic import TypeAdapter, ValidationError

from filiform.core.concepts.values import Code
from filiform.core.kb.loader import load_kb
from filiform.errors import ValidationFailed

_ID = TypeAdapter(Code)


def known_target_ids() -> frozenset[str] | None:
    """Target ids of the shipped knowledge base, or None when the check is switched off."""
    if os.environ.get("FILIFORM_SKIP_KB_TARGETS") == "1":
        return None
    return frozenset(load_kb().targets)


def validate_target_ids(ids: Iterable[str]) -> None:
    """Raise ValidationFailed for malformed ids, or ids the knowledge base does not know."""
    ids = list(ids)
    bad = []
    for ident in ids:
        try:
            _ID.validate_python(ident)
        except ValidationError:
            bad.append(ident[:80])
    if bad:
        raise ValidationFailed("malformed target id", details=bad)
    known = known_target_ids()
    if known is not None:
        unknown = sorted({i for i in ids if i not in known})
        if unknown:
            raise ValidationFailed("target not in the knowledge base", details=unknown)
