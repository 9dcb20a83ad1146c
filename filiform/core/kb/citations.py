"""The one citation registry: every source the knowledge base, the rules and the instruments cite.

Sources live in ``citations/*.yaml`` and, for the outcome instruments, in
``instruments/citations.yaml``; both are read here into one dictionary of
:class:`~filiform.core.concepts.citation.Citation`, so an id means one source everywhere
and the same id (or the same DOI) cannot name two.

>>> load_citations()["farrar_2001"].short
'Farrar 2001'
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from filiform.core.concepts.citation import Citation

from .yaml_source import Issue, SourceDoc, YamlSyntaxError, raise_issues, read, validate_located

Root = Traversable | Path
INSTRUMENT_CITATIONS = ("instruments", "citations.yaml")


def default_root() -> Traversable:
    return resources.files("filiform.data")


def yaml_files(root: Root, sub: str) -> list[Root]:
    """Every ``.yaml``/``.yml`` file under ``root/sub``, in a stable order."""
    folder = root.joinpath(sub)
    if not folder.is_dir():
        return []
    found: list[Root] = []
    stack = [folder]
    while stack:
        current = stack.pop()
        for child in current.iterdir():
            if child.is_dir():
                stack.append(child)
            elif child.name.endswith((".yaml", ".yml")):
                found.append(child)
    return sorted(found, key=lambda p: str(p))


def relative(path: Root, root: Root) -> str:
    text, base = str(path), str(root)
    return text[len(base) :].lstrip("/") if text.startswith(base) else text


def citation_files(root: Root) -> list[Root]:
    files = yaml_files(root, "citations")
    extra = root.joinpath(*INSTRUMENT_CITATIONS)
    return [*files, extra] if extra.is_file() else files


def read_citations(
    root: Root, issues: list[Issue], origins: dict[str, tuple[str, int]] | None = None
) -> tuple[dict[str, Citation], list[SourceDoc]]:
    """Every citation under ``root`` with its problems (a repeated id names both places)."""
    found: dict[str, Citation] = {}
    where = origins if origins is not None else {}
    docs: list[SourceDoc] = []
    for path in citation_files(root):
        try:
            doc = read(path, relative(path, root))
        except YamlSyntaxError as exc:
            issues.append(exc.issue)
            continue
        docs.append(doc)
        if not isinstance(doc.data, list):
            issues.append(Issue(doc.file, 1, "citation files hold a YAML list of records"))
            continue
        for i, item in enumerate(doc.data):
            record = validate_located(Citation, item, doc, (i,), issues)
            if record is None:
                continue
            line = doc.line_of((i, "id"))
            if record.id in found:
                first_file, first_line = where.get(record.id, ("?", 0))
                issues.append(Issue(doc.file, line, f"duplicate id '{record.id}' (first at {first_file}:{first_line})"))
                continue
            found[record.id] = record
            where[record.id] = (doc.file, line)
    return found, docs


@lru_cache(maxsize=1)
def _registry() -> tuple[dict[str, Citation], dict[str, tuple[str, int]]]:
    issues: list[Issue] = []
    origins: dict[str, tuple[str, int]] = {}
    found, _ = read_citations(default_root(), issues, origins)
    raise_issues("the citation files are invalid", issues)
    return found, origins


def load_citations() -> dict[str, Citation]:
    """The shipped registry; raises with every located problem if a file is malformed."""
    return _registry()[0]


def defined_in(file: str) -> list[Citation]:
    """The shipped citations written in one file (e.g. ``instruments/citations.yaml``)."""
    found, origins = _registry()
    return [c for ident, c in found.items() if origins[ident][0] == file]
