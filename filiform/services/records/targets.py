"""Validation of knowledge-base target ids for insertions: one switchable function.

The knowledge base (``filiform.core.kb.loader.load_kb``) is optional at import time: when
it is present, ids are checked against its ``targets``; when it is not, only the id's
shape is checked.  ``FILIFORM_SKIP_KB_TARGETS=1`` switches the lookup off (e.g. for a
clinic's local targets before they are in the KB).
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterable
from functools import lru_cache

from filiform.errors import ValidationFailed

_ID = re.compile(r"^[a-z][a-z0-9_]{1,79}$")


@lru_cache(maxsize=1)
def known_target_ids() -> frozenset[str] | None:
    """Target ids from the knowledge base, or None when no KB loader is available."""
    if os.environ.get("FILIFORM_SKIP_KB_TARGETS") == "1":
        return None
    try:
        loader = importlib.import_module("filiform.core.kb.loader")
    except ImportError:
        return None
    load = getattr(loader, "load_kb", None)
    if load is None:
        return None
    try:
        kb = load()
    except Exception:  # a broken KB is reported by `filiform kb check`, not here
        return None
    return frozenset(getattr(kb, "targets", {}).keys()) or None


def validate_target_ids(ids: Iterable[str]) -> None:
    """Raise ValidationFailed for malformed ids, or ids the knowledge base does not know."""
    ids = list(ids)
    bad = [i for i in ids if not _ID.match(i)]
    if bad:
        raise ValidationFailed("malformed target id", details=bad)
    known = known_target_ids()
    if known is not None:
        unknown = sorted({i for i in ids if i not in known})
        if unknown:
            raise ValidationFailed("target not in the knowledge base", details=unknown)
