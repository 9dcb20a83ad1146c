"""Load the knowledge base from YAML files into validated, immutable models.

Layout under the data root (``filiform/data`` by default):

* ``citations/*.yaml`` – lists of :class:`Citation`
* ``danger_structures/*.yaml`` – lists of :class:`DangerStructure`
* ``depth_studies/*.yaml`` – lists of :class:`DepthStudy`
* ``targets/<kind>/<id>.yaml`` – one target (muscle, tendon, nerve, ...) per file, the file
  named after the id so a record is found without searching.

Loading collects *every* problem with its file and line instead of stopping at the first,
so ``filiform kb check`` shows a data author the whole list at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter

from filiform.errors import KnowledgeBaseError, NotFound

from .models import Citation, DangerStructure, DepthStudy, Muscle, Target, TriggerPoint
from .yaml_source import Issue, SourceDoc, YamlSyntaxError, parse, validate_located

M = TypeVar("M", bound=BaseModel)
_TARGET = TypeAdapter(Target)


@dataclass
class KnowledgeBase:
    """Every record by id, plus where each came from (for located error messages)."""

    citations: dict[str, Citation] = field(default_factory=dict)
    danger: dict[str, DangerStructure] = field(default_factory=dict)
    depth: dict[str, DepthStudy] = field(default_factory=dict)
    targets: dict[str, Target] = field(default_factory=dict)
    origins: dict[str, tuple[str, int]] = field(default_factory=dict)
    docs: list[SourceDoc] = field(default_factory=list)

    @property
    def muscles(self) -> dict[str, Muscle]:
        return {k: v for k, v in self.targets.items() if isinstance(v, Muscle)}

    def trigger_points(self) -> Iterator[tuple[Muscle, TriggerPoint]]:
        for muscle in self.muscles.values():
            for tp in muscle.trigger_points:
                yield muscle, tp

    def trigger_points_for(self, ident: str) -> list[TriggerPoint]:
        """Trigger points of a muscle id, or the one trigger point with that id."""
        muscle = self.muscles.get(ident)
        if muscle is not None:
            return list(muscle.trigger_points)
        for _, tp in self.trigger_points():
            if tp.id == ident:
                return [tp]
        raise NotFound(f"no muscle or trigger point '{ident}' in the knowledge base")

    def target(self, ident: str) -> Target:
        try:
            return self.targets[ident]
        except KeyError:
            raise NotFound(f"no target '{ident}' in the knowledge base") from None


def default_root() -> Traversable:
    return resources.files("filiform.data")


def _yaml_files(root: Traversable | Path, sub: str) -> list[Traversable | Path]:
    folder = root.joinpath(sub)
    if not folder.is_dir():
        return []
    found: list[Traversable | Path] = []
    stack = [folder]
    while stack:
        current = stack.pop()
        for child in current.iterdir():
            if child.is_dir():
                stack.append(child)
            elif child.name.endswith((".yaml", ".yml")):
                found.append(child)
    return sorted(found, key=lambda p: str(p))


def _rel(path: Traversable | Path, root: Traversable | Path) -> str:
    text, base = str(path), str(root)
    return text[len(base) :].lstrip("/") if text.startswith(base) else text


_KIND_TAGS = frozenset({"muscle", "tendon", "nerve", "periarticular", "scar"})


def _validate(model: Any, data: Any, doc: SourceDoc, path: tuple[str | int, ...], issues: list[Issue]) -> Any:
    return validate_located(model, data, doc, path, issues, skip=_KIND_TAGS)


def _load_list(
    kb: KnowledgeBase, root: Traversable | Path, sub: str, model: type[M], store: dict[str, M], issues: list[Issue]
) -> None:
    for path in _yaml_files(root, sub):
        doc = _parse(path, root, issues)
        if doc is None:
            continue
        kb.docs.append(doc)
        if not isinstance(doc.data, list):
            issues.append(Issue(doc.file, 1, f"{sub} files hold a YAML list of records"))
            continue
        for i, item in enumerate(doc.data):
            record = _validate(model, item, doc, (i,), issues)
            if record is None:
                continue
            _add(kb, store, record, doc, (i,), issues)


def _add(
    kb: KnowledgeBase,
    store: dict[str, Any],
    record: Any,
    doc: SourceDoc,
    path: tuple[str | int, ...],
    issues: list[Issue],
) -> None:
    ident = record.id
    line = doc.line_of((*path, "id"))
    if ident in store:
        first_file, first_line = kb.origins.get(f"{id(store)}:{ident}", ("?", 0))
        issues.append(Issue(doc.file, line, f"duplicate id '{ident}' (first at {first_file}:{first_line})"))
        return
    store[ident] = record
    kb.origins[f"{id(store)}:{ident}"] = (doc.file, line)
    kb.origins[ident] = (doc.file, line)


def _parse(path: Traversable | Path, root: Traversable | Path, issues: list[Issue]) -> SourceDoc | None:
    rel = _rel(path, root)
    try:
        return parse(path.read_text(encoding="utf-8"), rel)
    except YamlSyntaxError as exc:
        issues.append(exc.issue)
    except UnicodeDecodeError:
        issues.append(Issue(rel, 1, "file is not UTF-8 text"))
    return None


def _load_targets(kb: KnowledgeBase, root: Traversable | Path, issues: list[Issue]) -> None:
    for path in _yaml_files(root, "targets"):
        doc = _parse(path, root, issues)
        if doc is None:
            continue
        kb.docs.append(doc)
        if not isinstance(doc.data, dict):
            issues.append(Issue(doc.file, 1, "a target file holds one YAML mapping"))
            continue
        record = _validate(_TARGET, doc.data, doc, (), issues)
        if record is None:
            continue
        stem = path.name.rsplit(".", 1)[0]
        if stem != record.id:
            issues.append(Issue(doc.file, doc.line_of(("id",)), f"id '{record.id}' does not match file name '{stem}'"))
        _add(kb, kb.targets, record, doc, (), issues)


def load_with_issues(root: Traversable | Path | None = None) -> tuple[KnowledgeBase, list[Issue]]:
    """Load everything under ``root`` and return the base with all schema problems found."""
    root = root if root is not None else default_root()
    kb = KnowledgeBase()
    issues: list[Issue] = []
    _load_list(kb, root, "citations", Citation, kb.citations, issues)
    _load_list(kb, root, "danger_structures", DangerStructure, kb.danger, issues)
    _load_list(kb, root, "depth_studies", DepthStudy, kb.depth, issues)
    _load_targets(kb, root, issues)
    if not _yaml_files(root, "targets"):  # e.g. the wrong folder: never report an empty base as ok
        issues.append(Issue("targets", 0, f"no target files under {root}/targets: not a Filiform data folder"))
    return kb, issues


@lru_cache(maxsize=1)
def load_kb() -> KnowledgeBase:
    """The shipped knowledge base, fully checked; raises if it has any problem."""
    from .checks import check_kb

    kb, issues = load_with_issues()
    issues += check_kb(kb)
    if issues:
        raise KnowledgeBaseError(
            f"the knowledge base has {len(issues)} problem(s)", details=[str(i) for i in issues[:20]]
        )
    return kb
