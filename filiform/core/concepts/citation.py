"""A published source: the one citation model for the knowledge base and the instruments.

Every id a data file cites (a target, a rule, a condition, an instrument's MCID) resolves in
one registry (``filiform.core.kb.citations.load_citations``), so a source is written once
and shown the same way everywhere (:attr:`Citation.short`, :attr:`Citation.identifier`).

>>> c = Citation(id="farrar_2001", authors="Farrar JT, Young JP Jr", year=2001,
...              title="Clinical importance of changes in chronic pain intensity", journal="Pain 94(2):149-158",
...              doi="10.1016/S0304-3959(01)00349-9")
>>> c.short, c.identifier
('Farrar 2001', 'doi:10.1016/S0304-3959(01)00349-9')
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from filiform.core.concepts.values import Strict

CitationId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$", min_length=2, max_length=80)]
Words = Annotated[str, Field(min_length=3)]


class Citation(Strict):
    """A source, identified by a DOI, PMID or ISBN, or a URL for a manual or web page with none."""

    id: CitationId
    authors: Words
    year: Annotated[int, Field(ge=1900, le=2100)] | None = None  # None only for undated web pages
    title: Words
    journal: Words
    volume: str | None = None
    pages: str | None = None
    doi: Annotated[str, Field(pattern=r"^10\.\d{4,9}/\S+$")] | None = None
    pmid: Annotated[str, Field(pattern=r"^\d{5,9}$")] | None = None
    isbn: Annotated[str, Field(pattern=r"^[0-9Xx-]{10,17}$")] | None = None
    url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    label: str | None = None  # short in-text form when the authors were not recorded
    note: str | None = None

    @model_validator(mode="after")
    def _identified(self) -> Citation:
        if not (self.doi or self.pmid or self.isbn or self.url):
            raise ValueError("a citation needs a doi, pmid, isbn or url")
        return self

    @property
    def short(self) -> str:
        """In-text form: 'Farrar 2001', or the label when no author list was recorded."""
        if self.label:
            return self.label
        first = self.authors.split(",")[0].strip().split(" ")[0]
        return f"{first} {self.year}" if self.year else first

    @property
    def identifier(self) -> str:
        """How a reader finds it: ``doi:...``, ``PMID ...``, ``ISBN ...`` or the URL."""
        if self.doi:
            return f"doi:{self.doi}"
        if self.pmid:
            return f"PMID {self.pmid}"
        if self.isbn:
            return f"ISBN {self.isbn}"
        return self.url or ""

    @property
    def reference(self) -> str:
        """The full reference line: authors (year). Title. Journal."""
        return f"{self.authors} ({self.year or 'n.d.'}). {self.title}. {self.journal}."
