"""Planned sites: where a clinician means to needle, in the terms the safety rules need.

A planned site is a knowledge-base target on a side (``rhomboid_major`` left) or a bare
anatomical site (``left:knee_joint``). Either way it names its anatomical sites (from
``filiform/data/anatomy/target_sites.yaml`` for targets), so site answers in the intake
(lymphoedema, tumour, joint replacement...) can be matched against it. Text shown to a
clinician uses ``label`` (plain words); ``key`` is for machines.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from filiform.core.concepts.side import Side
from filiform.core.concepts.site import SiteRef, parse_site, site_label, vocabulary
from filiform.core.kb.loader import KnowledgeBase
from filiform.core.kb.models import Target
from filiform.core.kb.yaml_source import Issue, YamlSyntaxError, parse, validate_located
from filiform.errors import KnowledgeBaseError, ValidationFailed

_SiteId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


class PlannedSite(BaseModel):
    """One place a clinician means to needle, with what the rules need to know about it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    label: str
    target: str | None = None
    kind: str | None = None
    side: Side | None = None
    sites: Annotated[tuple[str, ...], Field(min_length=1)]
    lung_adjacent: bool = False
    compressible: bool = True
    max_depth_mm: float | None = None

    def refs(self) -> tuple[SiteRef, ...]:
        return tuple(parse_site(s) for s in self.sites)

    def tags(self) -> frozenset[str]:
        vocab = vocabulary()
        return frozenset(t for r in self.refs() for t in vocab.tags(r.site))


class _TargetSites(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    version: int
    targets: dict[str, Annotated[tuple[_SiteId, ...], Field(min_length=1)]]


class _AtlasSites(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    version: int
    regions: dict[str, _SiteId]


def _load(file: str, model: type[BaseModel]) -> tuple[BaseModel | None, list[Issue]]:
    text = resources.files("filiform.data").joinpath(file).read_text(encoding="utf-8")
    try:
        doc = parse(text, file)
    except YamlSyntaxError as exc:
        return None, [exc.issue]
    issues: list[Issue] = []
    return validate_located(model, doc.data, doc, (), issues), issues


def _unknown_sites(file: str, mapping: dict[str, tuple[str, ...]]) -> list[Issue]:
    specs = vocabulary().specs
    return [Issue(file, 1, f"'{k}' names unknown site '{s}'") for k, v in mapping.items() for s in v if s not in specs]


@lru_cache(maxsize=1)
def target_site_map() -> dict[str, tuple[str, ...]]:
    """Target id to its anatomical site ids (raises if the file is malformed)."""
    data, issues = _load("anatomy/target_sites.yaml", _TargetSites)
    if data is None or issues:
        raise KnowledgeBaseError("anatomy/target_sites.yaml is invalid", details=[str(i) for i in issues])
    assert isinstance(data, _TargetSites)
    return dict(data.targets)


@lru_cache(maxsize=1)
def atlas_site_map() -> dict[str, str]:
    """Atlas region id to its site id (the region's side is the site's side)."""
    data, issues = _load("anatomy/atlas_sites.yaml", _AtlasSites)
    if data is None or issues:
        raise KnowledgeBaseError("anatomy/atlas_sites.yaml is invalid", details=[str(i) for i in issues])
    assert isinstance(data, _AtlasSites)
    return dict(data.regions)


def region_site(region_id: str) -> SiteRef:
    """The anatomical site of a body-chart region (``right-lateral-epicondyle`` -> right elbow)."""
    sid = atlas_site_map().get(region_id)
    if sid is None:
        raise ValidationFailed(f"atlas region '{region_id[:60]}' has no anatomical site")
    side = region_id.split("-", 1)[0]
    return vocabulary().ref(sid, side if side in ("left", "right") else None)


def check_site_maps(target_ids: Iterable[str], region_ids: Iterable[str] | None) -> list[Issue]:
    """Every target and (when given) every atlas region maps to known sites; nothing extra."""
    issues: list[Issue] = []
    tdata, found = _load("anatomy/target_sites.yaml", _TargetSites)
    issues += found
    if isinstance(tdata, _TargetSites):
        issues += _unknown_sites("anatomy/target_sites.yaml", tdata.targets)
        wanted = set(target_ids)
        issues += [
            Issue("anatomy/target_sites.yaml", 1, f"target '{t}' has no site")
            for t in sorted(wanted - set(tdata.targets))
        ]
        issues += [
            Issue("anatomy/target_sites.yaml", 1, f"unknown target '{t}'") for t in sorted(set(tdata.targets) - wanted)
        ]
    adata, found = _load("anatomy/atlas_sites.yaml", _AtlasSites)
    issues += found
    if isinstance(adata, _AtlasSites):
        issues += _unknown_sites("anatomy/atlas_sites.yaml", {k: (v,) for k, v in adata.regions.items()})
        if region_ids is not None:
            wanted = set(region_ids)
            file = "anatomy/atlas_sites.yaml"
            issues += [Issue(file, 1, f"atlas region '{r}' has no site") for r in sorted(wanted - set(adata.regions))]
            issues += [Issue(file, 1, f"unknown atlas region '{r}'") for r in sorted(set(adata.regions) - wanted)]
    return issues


def target_label(target: Target, side: str | None) -> str:
    return f"{target.name}, {side}" if side else f"{target.name} (side to confirm)"


def planned_target(
    target: Target, side: str | None, noncompressible: Iterable[str] = (), noncompressible_depth_mm: float = 40.0
) -> PlannedSite:
    """Describe a knowledge-base target on a side as a planned site."""
    if side not in (None, "left", "right"):
        raise ValidationFailed(f"side must be left or right, not '{str(side)[:20]}'")
    vocab = vocabulary()
    sids = target_site_map().get(target.id)
    if not sids:
        raise KnowledgeBaseError(f"target '{target.id}' has no anatomical site in anatomy/target_sites.yaml")
    deepest = max(a.depth_mm.max_mm for a in target.needling)
    return PlannedSite(
        key=f"{target.id}:{side}" if side else target.id,
        label=target_label(target, side),
        target=target.id,
        kind=target.kind,
        side=side,
        sites=tuple(vocab.ref(s, side).text for s in sids),
        lung_adjacent=target.lung_adjacent,
        compressible=target.id not in set(noncompressible) and deepest < noncompressible_depth_mm,
        max_depth_mm=deepest,
    )


def planned_bare_site(text: str) -> PlannedSite:
    """A planned site named only anatomically (``left:knee_joint``), without a target."""
    ref = parse_site(text)
    return PlannedSite(
        key=f"site:{ref.text}",
        label=site_label(ref),
        side=ref.side.value if ref.side else None,
        sites=(ref.text,),
    )


def planned_sites(
    kb: KnowledgeBase, targets: Iterable[tuple[str, str | None]] = (), sites: Iterable[str] = ()
) -> list[PlannedSite]:
    """Planned sites for ``(target_id, side)`` pairs and bare site names; unknown ids raise."""
    from .rules import load_rules

    rules = load_rules()
    out = [
        planned_target(kb.target(tid), side, rules.noncompressible_targets, rules.noncompressible_depth_mm)
        for tid, side in targets
    ]
    return out + [planned_bare_site(s) for s in sites]
