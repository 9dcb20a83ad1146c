"""YAML parsing that remembers where every value came from.

The checker must report *file and line* for schema and cross-reference errors. PyYAML's
composed node tree keeps start marks, so we parse once into data and once into nodes and
walk the nodes to locate any path a validator complains about.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError


@dataclass(frozen=True)
class Issue:
    """One problem found in the knowledge base, located to a file and 1-based line."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True)
class SourceDoc:
    """A parsed YAML document: its data and its node tree (for line lookups)."""

    file: str
    data: Any
    node: yaml.Node | None

    def line_of(self, path: Sequence[str | int]) -> int:
        """1-based line of the deepest node reachable along ``path``."""
        node = self.node
        if node is None:
            return 1
        line = node.start_mark.line + 1
        for key in path:
            child = _child(node, key)
            if child is None:
                break
            node = child
            line = node.start_mark.line + 1
        return line

    def scalars(self) -> Iterator[tuple[tuple[str | int, ...], str, int]]:
        """Every scalar with its path and line, for cross-reference checks."""
        if self.node is not None:
            yield from _walk(self.node, ())


def _child(node: yaml.Node, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                return v  # type: ignore[no-any-return]
            if k.value == str(key):
                return v  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        return node.value[key]  # type: ignore[no-any-return]
    return None


def _walk(node: yaml.Node, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str, int]]:
    if isinstance(node, yaml.ScalarNode):
        yield path, str(node.value), node.start_mark.line + 1
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            yield from _walk(v, (*path, str(k.value)))
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            yield from _walk(v, (*path, i))


def validate_located(
    model: type[BaseModel] | TypeAdapter[Any],
    data: Any,
    doc: SourceDoc,
    path: tuple[str | int, ...],
    issues: list[Issue],
    skip: frozenset[str] = frozenset(),
) -> Any:
    """Validate ``data`` strictly and report each error at its file and line.

    Strict JSON mode: lists may become tuples and text may name an enum member, but nothing
    else is coerced (no "7" for 7, no "yes" for true). ``skip`` drops discriminator tags
    (e.g. ``muscle``) from error locations so they point at real keys.
    """
    try:
        payload = json.dumps(data)
    except (TypeError, ValueError):
        issues.append(Issue(doc.file, doc.line_of(path), "values must be plain text, numbers, lists or mappings"))
        return None
    try:
        if isinstance(model, TypeAdapter):
            return model.validate_json(payload, strict=True)
        return model.model_validate_json(payload, strict=True)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p in skip))
            full = (*path, *loc)
            shown = ".".join(str(p) for p in full)
            issues.append(Issue(doc.file, doc.line_of(full), f"{shown or 'record'}: {err['msg']}"))
        return None


def parse(text: str, file: str) -> SourceDoc:
    """Parse YAML text; a syntax error becomes a located :class:`YamlSyntaxError`."""
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlSyntaxError(Issue(file, line, f"YAML syntax: {exc.problem}")) from exc
    if node is not None:
        duplicate = _first_duplicate_key(node)
        if duplicate is not None:
            raise YamlSyntaxError(Issue(file, duplicate[1], duplicate[0]))
    return SourceDoc(file=file, data=data, node=node)


def _first_duplicate_key(root: yaml.Node) -> tuple[str, int] | None:
    """The first key written twice in one mapping (PyYAML silently keeps the last one)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                line = key.start_mark.line + 1
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        return f"duplicate key '{key.value}' (first at line {seen[key.value]})", line
                    seen[key.value] = line
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


class YamlSyntaxError(Exception):
    def __init__(self, issue: Issue) -> None:
        super().__init__(str(issue))
        self.issue = issue
