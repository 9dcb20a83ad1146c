"""The one YAML loader for clinical data: parsed once, every value located to file and line.

Knowledge base, screening rules, conditions, techniques, instruments, the atlas and the
code tables are all read here, so a data author gets the same kind of message from every
file (``conditions/x.yaml:12: dosing.sessions: Field required``).

The text is composed once into PyYAML's node tree (with libyaml's C parser when it is
installed, else the pure-Python one); the data is constructed from that same tree, and
the tree answers "which line is this path on?". A mapping that repeats a key is refused:
YAML would silently keep the last value, which for clinical data means a silently lost one.

>>> doc = parse("id: a\\nname: b\\n", "x.yaml")
>>> doc.data, doc.line_of(("name",))
({'id': 'a', 'name': 'b'}, 2)
>>> parse("id: a\\nid: b\\n", "x.yaml")
Traceback (most recent call last):
...
filiform.core.kb.yaml_source.YamlSyntaxError: x.yaml:2: duplicate key 'id' (first at line 1)
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, TypeAdapter, ValidationError

from filiform.errors import KnowledgeBaseError

try:  # libyaml is an optional C extension of PyYAML: faster, same results
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class Issue:
    """One problem found in a data file, located to a file and 1-based line."""

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


class YamlSyntaxError(Exception):
    """A file that is not valid YAML, or repeats a key; carries the located :class:`Issue`."""

    def __init__(self, issue: Issue) -> None:
        super().__init__(str(issue))
        self.issue = issue


def _child(node: yaml.Node, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key or k.value == str(key):
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


def _repeated_key(node: yaml.Node | None) -> tuple[str, int, int] | None:
    """The first key a mapping repeats, as (key, line, first line); None if there is none."""
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: dict[str, int] = {}
            for k, v in current.value:
                if isinstance(k, yaml.ScalarNode) and k.tag != MERGE_TAG:
                    line = k.start_mark.line + 1
                    if k.value in seen:
                        return str(k.value), line, seen[k.value]
                    seen[k.value] = line
                stack.append(v)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return None


def parse(text: str, file: str) -> SourceDoc:
    """Parse YAML text once; a syntax error or a repeated key is a located :class:`YamlSyntaxError`."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        repeated = _repeated_key(node)
        if repeated is not None:
            key, line, first = repeated
            raise YamlSyntaxError(Issue(file, line, f"duplicate key '{key}' (first at line {first})"))
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlSyntaxError(Issue(file, line, f"YAML syntax: {exc.problem or exc.context}")) from exc
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(Issue(file, 1, f"YAML: {exc}")) from exc
    finally:
        loader.dispose()
    return SourceDoc(file=file, data=data, node=node)


def read(path: Traversable | Path, file: str) -> SourceDoc:
    """Read and parse a data file; unreadable text is a located :class:`YamlSyntaxError` too."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise YamlSyntaxError(Issue(file, 1, "file is not UTF-8 text")) from None
    return parse(text, file)


def validate_located(
    model: type[BaseModel] | TypeAdapter[Any],
    data: Any,
    doc: SourceDoc,
    path: tuple[str | int, ...],
    issues: list[Issue],
    skip: frozenset[str] = frozenset(),
    mode: Literal["json", "python"] = "json",
) -> Any:
    """Validate ``data`` strictly and report each error at its file and line.

    Strict JSON mode (the default): lists may become tuples and text may name an enum
    member, but nothing else is coerced (no "7" for 7, no "yes" for true). ``python`` mode
    is for models whose data keeps YAML's own types (integer mapping keys). ``skip`` drops
    discriminator tags (e.g. ``muscle``) from error locations so they point at real keys.
    """
    try:
        if mode == "python":
            if isinstance(model, TypeAdapter):
                return model.validate_python(data)
            return model.model_validate(data)
        try:
            payload = json.dumps(data)
        except (TypeError, ValueError):
            issues.append(Issue(doc.file, doc.line_of(path), "values must be plain text, numbers, lists or mappings"))
            return None
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
    except ValueError as exc:  # a model's own check raised outside pydantic's wrapping
        issues.append(Issue(doc.file, doc.line_of(path), str(exc)))
        return None


def load_document(
    source: Traversable | Path | str, file: str, model: Any, mode: Literal["json", "python"] = "json"
) -> tuple[Any, list[Issue], SourceDoc | None]:
    """Read (a path) or parse (text) one file and validate it as ``model``.

    Returns (record or None, located issues, the parsed document or None).
    """
    try:
        doc = parse(source, file) if isinstance(source, str) else read(source, file)
    except YamlSyntaxError as exc:
        return None, [exc.issue], None
    issues: list[Issue] = []
    return validate_located(model, doc.data, doc, (), issues, mode=mode), issues, doc


def raise_issues(what: str, issues: Sequence[Issue]) -> None:
    """Refuse to go on with invalid shipped data: every located issue in the error's details."""
    if issues:
        raise KnowledgeBaseError(f"{what}: {len(issues)} problem(s)", details=[str(i) for i in issues[:20]])


def load_data(source: Traversable | Path, file: str) -> Any:
    """The parsed data of a shipped file whose model checks itself; bad YAML is a located error."""
    try:
        return read(source, file).data
    except YamlSyntaxError as exc:
        raise KnowledgeBaseError(f"{file} is not valid YAML", details=[str(exc.issue)]) from None
