"""Load the knowledge base from YAML files into validated, immutable models.

Layout under the data root (``filiform/data`` by default):

* ``citations/*.yaml`` (and ``instruments/citations.yaml``) – the one citation registry
  (:mod:`filiform.core.kb.citations`)
* ``danger_structures/*.yaml`` – lists of :class:`DangerStructure`
* ``depth_studies/*.yaml`` – lists of :class:`DepthStudy`
* ``targets/<kind>/<id>.yaml`` – one target (muscle, tendon, nerve, ...) per file, the file
  named after the id so a record is found without searching.

Loading collects *every* problem with its file and line instead of stopping at the first,
so ``filiform kb check`` shows a data author the whole list at once.
"""

from __future__ import annotations

from functools import lru_cache
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, TypeAdapter

from filiform.errors import KnowledgeBaseError

from .cache import cached
from .citations import default_root, read_citations, relative, yaml_files
from .knowledge import KnowledgeBase
from .models import DangerStructure, DepthStudy, Target
from .yaml_source import Issue, SourceDoc, YamlSyntaxError, read, validate_located

__all__ = ["KnowledgeBase", "default_root", "load_cached", "load_checked", "load_kb", "load_with_issues"]

M = TypeVar("M", bound=BaseModel)
_TARGET = TypeAdapter(Target)
_KIND_TAGS = frozenset({"muscle", "tendon", "nerve", "periarticular", "scar"})


def _validate(model: Any, data: Any, doc: SourceDoc, path: tuple[str | int, ...], issues: list[Issue]) -> Any:
    return validate_located(model, data, doc, path, issues, skip=_KIND_TAGS)


def _load_list(
    kb: KnowledgeBase, root: Traversable | Path, sub: str, model: type[M], store: dict[str, M], issues: list[Issue]
) -> None:
    for path in yaml_files(root, sub):
        doc = _read(path, root, issues)
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


def _read(path: Traversable | Path, root: Traversable | Path, issues: list[Issue]) -> SourceDoc | None:
    try:
        return read(path, relative(path, root))
    except YamlSyntaxError as exc:
        issues.append(exc.issue)
    return None


def _load_targets(kb: KnowledgeBase, root: Traversable | Path, issues: list[Issue]) -> None:
    for path in yaml_files(root, "targets"):
        doc = _read(path, root, issues)
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
    origins: dict[str, tuple[str, int]] = {}
    kb.citations, docs = read_citations(root, issues, origins)
    for ident, where in origins.items():
        kb.origins[f"{id(kb.citations)}:{ident}"] = where
        kb.origins[ident] = where
    kb.docs.extend(docs)
    _load_list(kb, root, "danger_structures", DangerStructure, kb.danger, issues)
    _load_list(kb, root, "depth_studies", DepthStudy, kb.depth, issues)
    _load_targets(kb, root, issues)
    if not yaml_files(root, "targets"):  # e.g. the wrong folder: never report an empty base as ok
        issues.append(Issue("targets", 0, f"no target files under {root}/targets: not a Filiform data folder"))
    return kb, issues


def load_checked(root: Traversable | Path | None = None) -> KnowledgeBase:
    """The base under ``root``, fully checked (schema and cross-references); raises on any problem.

    The parsed node trees (``docs``) and the loading-time origin keys are dropped once the
    checks have used them: nothing after loading needs them, and the result is the same
    whether it was just built or read back from the cache.
    """
    from .checks import check_kb  # needs the atlas (shapely, numpy): only on a cache miss

    kb, issues = load_with_issues(root)
    issues += check_kb(kb)
    if issues:
        raise KnowledgeBaseError(
            f"the knowledge base has {len(issues)} problem(s)", details=[str(i) for i in issues[:20]]
        )
    kb.docs = []
    # keys scoped by a store's object id only tell duplicates apart while loading
    scoped = tuple(f"{id(store)}:" for store in (kb.citations, kb.danger, kb.depth, kb.targets))
    kb.origins = {k: v for k, v in kb.origins.items() if not k.startswith(scoped)}
    return kb


def load_cached(root: Traversable | Path | None = None, *, folder: Path | None = None) -> KnowledgeBase:
    """:func:`load_checked`, kept on disk keyed by the data's hash (:mod:`.cache`).

    Only a base that passed every check is stored, so a cache hit is as checked as a fresh load.
    """
    where = root if root is not None else default_root()
    return cached(
        "knowledge-base",
        lambda: load_checked(where),
        KnowledgeBase,
        root=where,
        libraries=("pydantic", "pydantic_core"),
        folder=folder,
    )


@lru_cache(maxsize=1)
def load_kb() -> KnowledgeBase:
    """The shipped knowledge base, fully checked; raises if it has any problem."""
    return load_cached()
