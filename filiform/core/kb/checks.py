"""Cross-reference and safety-consistency checks over a loaded knowledge base.

Schema validation (types, required keys) happens while loading; these checks need the
whole base at once: does every cited source exist, every atlas region, every danger
structure; does every target over the thorax say how to keep off the lung.
"""

from __future__ import annotations

from filiform.core.atlas.build import load_atlas
from filiform.core.atlas.model import Atlas

from .knowledge import KnowledgeBase
from .models import Muscle
from .yaml_source import Issue

_REGION_KEYS = {"essential", "spillover", "regions"}
# House rule (not a published figure): never plan to sink a needle to its hub, where it can
# break unseen; keep at least this much of the shaft outside the skin at the deepest point.
NEEDLE_MARGIN_MM = 5.0


def _key_of(path: tuple[str | int, ...]) -> str | None:
    """The nearest mapping key above a scalar (skipping list indices)."""
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return None


def _check_refs(kb: KnowledgeBase, atlas: Atlas) -> list[Issue]:
    issues: list[Issue] = []
    for doc in kb.docs:
        is_list_file = doc.file.startswith(("citations", "danger_structures", "depth_studies"))
        for path, value, line in doc.scalars():
            key = _key_of(path)
            if key == "citations" and value not in kb.citations:
                issues.append(Issue(doc.file, line, f"unknown citation '{value}'"))
            elif key in _REGION_KEYS and not is_list_file:
                base = value.split(":", 1)[1] if value.startswith("contralateral:") else value
                if base not in atlas.bases:
                    issues.append(Issue(doc.file, line, f"unknown atlas region '{value}'"))
            elif key == "structure" and "danger" in path and value not in kb.danger:
                issues.append(Issue(doc.file, line, f"unknown danger structure '{value}'"))
            elif key == "depth_data" and value not in kb.depth:
                issues.append(Issue(doc.file, line, f"unknown depth study '{value}'"))
    return issues


def _check_targets(kb: KnowledgeBase, atlas: Atlas) -> list[Issue]:
    issues: list[Issue] = []
    tp_seen: dict[str, str] = {}
    lung_ids = {d.id for d in kb.danger.values() if d.kind == "lung"}
    for target in kb.targets.values():
        file, line = kb.origins.get(target.id, ("?", 1))
        over_thorax = any(r.split(":")[-1] in atlas.thorax for r in target.regions)
        has_lung_rule = any(ref.structure in lung_ids for ref in target.danger)
        if (target.lung_adjacent or over_thorax) and not has_lung_rule:
            why = "is marked lung_adjacent" if target.lung_adjacent else "lies over the thorax"
            issues.append(Issue(file, line, f"target '{target.id}' {why} but has no lung/pleura danger rule"))
        if over_thorax and not target.lung_adjacent:
            issues.append(Issue(file, line, f"target '{target.id}' lies over the thorax: set lung_adjacent: true"))
        for n, ap in enumerate(target.needling, 1):
            if ap.needle.length_mm < ap.depth_mm.max_mm + NEEDLE_MARGIN_MM:
                issues.append(
                    Issue(
                        file,
                        line,
                        (
                            f"target '{target.id}' approach {n}: a {ap.needle.length_mm:g} mm needle leaves less than "
                            f"{NEEDLE_MARGIN_MM:g} mm outside the skin at {ap.depth_mm.max_mm:g} mm depth"
                        ),
                    )
                )
        if isinstance(target, Muscle):
            if not target.trigger_points:
                issues.append(Issue(file, line, f"muscle '{target.id}' has no trigger point"))
            for tp in target.trigger_points:
                if not tp.id.startswith(target.id + "_"):
                    issues.append(Issue(file, line, f"trigger point '{tp.id}' should start with '{target.id}_'"))
                if tp.id in tp_seen:
                    issues.append(Issue(file, line, f"duplicate trigger point id '{tp.id}' (also in {tp_seen[tp.id]})"))
                tp_seen[tp.id] = target.id
                if not tp.referral.essential:
                    issues.append(Issue(file, line, f"trigger point '{tp.id}' has no referral zone"))
    return issues


def _check_duplicate_sources(kb: KnowledgeBase) -> list[Issue]:
    """One publication, one id: the same DOI, PMID or ISBN under two ids splits the evidence trail."""
    issues: list[Issue] = []
    seen: dict[tuple[str, str], str] = {}
    for cite in kb.citations.values():
        for kind in ("doi", "pmid", "isbn"):
            value = getattr(cite, kind)
            if not value:
                continue
            key = (kind, value.lower())
            if key in seen:
                file, line = kb.origins.get(cite.id, ("?", 1))
                issues.append(Issue(file, line, f"citation '{cite.id}' repeats the {kind} of '{seen[key]}'"))
            else:
                seen[key] = cite.id
    return issues


def check_kb(kb: KnowledgeBase, atlas: Atlas | None = None) -> list[Issue]:
    """All cross-reference and consistency problems, sorted by file and line."""
    atlas = atlas or load_atlas()
    issues = _check_refs(kb, atlas) + _check_targets(kb, atlas) + _check_duplicate_sources(kb)
    return sorted(issues, key=lambda i: (i.file, i.line, i.message))
