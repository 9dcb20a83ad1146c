"""Consistency checks for the safety data (called by ``filiform kb check`` via planning.checks).

The loaders catch schema problems; these need the knowledge base and the atlas: every
target has anatomical sites, every atlas region maps to a site, every target a rule or the
ultrasound list names exists.
"""

from __future__ import annotations

from filiform.core.kb.loader import KnowledgeBase
from filiform.core.kb.yaml_source import Issue

from .rules import RuleSet
from .sites import check_site_maps

_RULES = "screening/rules.yaml"


def _atlas_regions() -> list[str] | None:
    try:
        from filiform.core.atlas.build import load_atlas

        return list(load_atlas().regions)
    except Exception:  # the atlas is being replaced in parallel; its own checker reports it
        return None


def check_safety_data(kb: KnowledgeBase, rules: RuleSet | None) -> list[Issue]:
    issues = check_site_maps(kb.targets, _atlas_regions())
    if rules is None:
        return issues
    named = [t for r in rules.rules if r.site is not None for t in r.site.targets]
    named += [u.target for u in rules.ultrasound_only]
    issues += [Issue(_RULES, 1, f"unknown target '{t}'") for t in sorted(set(named) - set(kb.targets))]
    return issues
