"""Message catalogues for everything a patient reads (portal pages, e-mails, consent text).

English is the source language: the message ids are the English text.  Another language is
one file, ``filiform/locale/<lang>/LC_MESSAGES/messages.po``; a clinic adds a language by
translating ``messages.pot`` into a new ``.po`` and listing it in :data:`LANGUAGES`.

Catalogues are compiled from the ``.po`` text when first used (Babel's own compiler, in
memory), so a fresh clone needs no build step and a ``.mo`` can never be stale.  A message
missing from a catalogue falls back to English, never to an empty string.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Callable
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).parent
DEFAULT_LANG = "en"
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}
"""Languages a patient may choose, by code, in their own words."""

current_lang: ContextVar[str] = ContextVar("filiform_patient_lang", default=DEFAULT_LANG)


def N_(text: str) -> str:
    """Mark a string for the catalogue without translating it here."""
    return text


@lru_cache(maxsize=16)
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue for ``lang`` (English and unknown codes: the message ids)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if lang == DEFAULT_LANG or lang not in LANGUAGES or not po.is_file():
        return _gettext.NullTranslations()
    with po.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def gettext(message: str, lang: str | None = None) -> str:
    """``message`` in ``lang`` (default: the request's language)."""
    return translations(lang or current_lang.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int, lang: str | None = None) -> str:
    return translations(lang or current_lang.get()).ngettext(singular, plural, n)


def translator(lang: str) -> Callable[[str], str]:
    """A ``_`` for one language (e-mails rendered off the request path)."""
    return translations(lang).gettext


def negotiate(wanted: str | None, accept_language: str | None = None) -> str:
    """The patient's language: an explicit choice, else the browser's first known one, else English."""
    if wanted in LANGUAGES:
        return str(wanted)
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return DEFAULT_LANG
