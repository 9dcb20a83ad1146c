"""Anatomical sites: the one vocabulary for "where" in screening, plans, circuits and records.

A site is named ``side:site_id`` (``left:knee_joint``) or ``site_id`` (either side, or a
midline site such as ``spine_l4``). The vocabulary lives in
``filiform/data/anatomy/sites.yaml``; every face parses with :func:`parse_site` and never
keeps its own list. Sites nest (``spine_l4`` lies within ``lumbar_spine``, within
``low_back``), so an answer about a larger site covers everything inside it.

>>> parse_site("Left:knee_joint").text
'left:knee_joint'
>>> site_label(parse_site("spine_l4"))
'L4 level'
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from filiform.core.concepts.side import Side
from filiform.errors import KnowledgeBaseError, ValidationFailed

SiteTag = Literal[
    "spine", "thorax", "abdomen", "low_back", "pelvis", "head", "neck_anterior", "upper_body", "joint", "prohibited"
]
CircuitZone = Literal[
    "head",
    "neck_anterior",
    "neck_posterior",
    "spine_cervical",
    "spine_thoracic",
    "spine_lumbar",
    "thorax_front",
    "thorax_back",
    "trunk",
    "limb",
]
SiteId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]


class SiteSpec(BaseModel):
    """One entry of the vocabulary (see the header of ``sites.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    id: SiteId
    name: Annotated[str, Field(min_length=2)]
    within: SiteId | None = None
    sided: bool
    tags: tuple[SiteTag, ...] = ()
    near: tuple[SiteId, ...] = ()
    circuit: CircuitZone | None = None


class SiteFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    version: int
    sites: Annotated[tuple[SiteSpec, ...], Field(min_length=1)]


@dataclass(frozen=True)
class SiteRef:
    """A site with the patient's side; ``side`` is None for midline sites and "either side"."""

    site: str
    side: Side | None = None

    @property
    def text(self) -> str:
        return f"{self.side.value}:{self.site}" if self.side else self.site


class SiteVocabulary:
    """The loaded vocabulary with the relations rules need (containment, nearness, tags)."""

    def __init__(self, specs: tuple[SiteSpec, ...]) -> None:
        self.specs = {s.id: s for s in specs}
        problems = [f"duplicate site id '{s.id}'" for s in specs if sum(t.id == s.id for t in specs) > 1]
        for s in specs:
            for ref in (s.within, *s.near):
                if ref is not None and ref not in self.specs:
                    problems.append(f"site '{s.id}' names unknown site '{ref}'")
        if problems:
            raise KnowledgeBaseError("anatomy/sites.yaml is invalid", details=sorted(set(problems)))
        self._chain = {sid: self._ancestors(sid) for sid in self.specs}
        names = [_key(s.name) for s in specs]
        self._by_name = {_key(s.name): s.id for s in specs if names.count(_key(s.name)) == 1}

    def _ancestors(self, sid: str) -> tuple[str, ...]:
        chain: list[str] = []
        current: str | None = sid
        while current is not None:
            if current in chain:
                raise KnowledgeBaseError(f"anatomy/sites.yaml: site '{sid}' lies within itself")
            chain.append(current)
            current = self.specs[current].within
        return tuple(chain)

    def chain(self, sid: str) -> tuple[str, ...]:
        """The site and every larger site it lies within, innermost first."""
        return self._chain[sid]

    def tags(self, sid: str) -> frozenset[str]:
        return frozenset(t for s in self._chain[sid] for t in self.specs[s].tags)

    def zone(self, sid: str) -> str | None:
        """Where an electrical circuit end at this site lies (inherited from the larger site)."""
        return next((self.specs[s].circuit for s in self._chain[sid] if self.specs[s].circuit), None)

    def contains(self, outer: str, inner: str) -> bool:
        return outer in self._chain[inner]

    def overlaps(self, a: SiteRef, b: SiteRef) -> bool:
        """True when the two places share tissue: one lies within the other and the sides agree.

        A missing side means either side, so it overlaps both; a midline site has no side.
        """
        if not (self.contains(a.site, b.site) or self.contains(b.site, a.site)):
            return False
        return a.side is None or b.side is None or a.side == b.side

    def near(self, a: SiteRef, b: SiteRef) -> bool:
        """Overlapping, or ``b`` lies in a site listed as next to ``a`` (or the reverse)."""
        if self.overlaps(a, b):
            return True
        return any(
            self.overlaps(self.ref(n, a.side), b) for s in self.chain(a.site) for n in self.specs[s].near
        ) or any(self.overlaps(self.ref(n, b.side), a) for s in self.chain(b.site) for n in self.specs[s].near)

    def ref(self, sid: str, side: Side | str | None) -> SiteRef:
        """A reference with the side kept only where the site has one."""
        if sid not in self.specs:
            raise ValidationFailed(f"unknown site '{sid[:60]}'; see filiform/data/anatomy/sites.yaml")
        return SiteRef(sid, Side(side) if side and self.specs[sid].sided else None)

    def label(self, ref: SiteRef) -> str:
        name = self.specs[ref.site].name
        if ref.side is not None:
            return f"{ref.side.value} {name}"
        return name if not self.specs[ref.site].sided else f"{name} (either side)"

    def parse(self, text: str) -> SiteRef:
        """Parse ``side:site`` or ``site`` by id or plain name (``left:arm``, ``left:knee``)."""
        raw = text.strip().lower().replace(" ", "_")
        side_text, sep, sid = raw.rpartition(":")
        sid = sid if sid in self.specs else self._by_name.get(sid, sid)
        if sid not in self.specs:
            raise ValidationFailed(
                f"unknown site '{text[:60]}': use side:site with a site from filiform/data/anatomy/sites.yaml "
                "(e.g. left:knee_joint, spine_l4)"
            )
        if not sep:
            return SiteRef(sid)
        if side_text not in ("left", "right"):
            raise ValidationFailed(f"site side must be left or right, not '{side_text[:20]}' in '{text[:60]}'")
        if not self.specs[sid].sided:
            raise ValidationFailed(f"'{sid}' is a midline site and takes no side")
        return SiteRef(sid, Side(side_text))


def _key(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def _load() -> SiteVocabulary:
    from filiform.core.kb.yaml_source import YamlSyntaxError, parse, validate_located

    text = resources.files("filiform.data").joinpath("anatomy/sites.yaml").read_text(encoding="utf-8")
    try:
        doc = parse(text, "anatomy/sites.yaml")
    except YamlSyntaxError as exc:
        raise KnowledgeBaseError("anatomy/sites.yaml is invalid", details=[str(exc.issue)]) from None
    issues: list[object] = []
    data = validate_located(SiteFile, doc.data, doc, (), issues)  # type: ignore[arg-type]
    if data is None:
        raise KnowledgeBaseError("anatomy/sites.yaml is invalid", details=[str(i) for i in issues])
    return SiteVocabulary(data.sites)


@lru_cache(maxsize=1)
def vocabulary() -> SiteVocabulary:
    """The shipped site vocabulary (loaded once)."""
    return _load()


def parse_site(text: str) -> SiteRef:
    return vocabulary().parse(text)


def site_label(ref: SiteRef) -> str:
    """Plain words for a site, e.g. ``left knee``."""
    return vocabulary().label(ref)


def _canonical(text: str) -> str:
    try:
        return parse_site(text).text
    except ValidationFailed as exc:
        raise ValueError(exc.message) from None


SiteAnswer = Annotated[str, Field(max_length=80), AfterValidator(_canonical)]
"""A site typed in a screening answer, stored in its canonical ``side:site`` spelling."""
