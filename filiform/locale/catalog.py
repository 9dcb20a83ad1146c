"""Collect every patient-facing message: the source of ``messages.pot`` and the test that
each language's catalogue translates all of them.

Sources: the patient pages' Python (``web/portal_*.py``), the pure patient texts
(``core/portal``), the patient templates (``web/templates/portal``, not the staff ones)
and the technique explanations patients read in the consent (``data/techniques.yaml``).
Run ``python -m filiform.locale.catalog`` after changing a message to rewrite the template
and add the new ids to each ``.po`` (untranslated until someone translates them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po, write_po
from jinja2.ext import babel_extract

from filiform.core.kb.yaml_source import load_data
from filiform.locale import LANGUAGES, LOCALE_DIR

PACKAGE = LOCALE_DIR.parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def sources() -> list[Path]:
    files = sorted((PACKAGE / "core" / "portal").glob("*.py"))
    files += sorted((PACKAGE / "web").glob("portal_*.py"))
    files += sorted(
        p for p in (PACKAGE / "web" / "templates" / "portal").glob("*.html") if not p.name.startswith("staff_")
    )
    return files


def extract_messages() -> Catalog:
    catalog = Catalog(project="filiform", domain="messages")
    for path in sources():
        method: Any = babel_extract if path.suffix == ".html" else "python"
        options = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"} if path.suffix == ".html" else {}
        with path.open("rb") as handle:
            for line, message, _comments, _context in extract(method, handle, keywords=KEYWORDS, options=options):
                catalog.add(message, locations=[(str(path.relative_to(PACKAGE)), line)])
    techniques = load_data(PACKAGE / "data" / "techniques.yaml", "techniques.yaml")
    for spec in techniques:
        for key in ("name", "patient_explanation"):
            catalog.add(spec[key], locations=[("data/techniques.yaml", 0)])
    return catalog


def write_template() -> Path:
    path = LOCALE_DIR / "messages.pot"
    with path.open("wb") as handle:
        write_po(handle, extract_messages(), omit_header=False, sort_output=True, width=100)
    return path


def update_languages() -> None:
    template = extract_messages()
    for lang in LANGUAGES:
        path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
        if lang == "en":
            continue
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, sort_output=True, width=100, ignore_obsolete=True)


if __name__ == "__main__":  # pragma: no cover - maintainer's tool
    print(write_template())
    update_languages()
