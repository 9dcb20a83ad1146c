"""Read FHIR resources from files one at a time: NDJSON files, a Bulk Data folder, a Bundle.

Why streaming: an import of a large clinic must not hold the whole file in memory (a
323 MB Bundle once peaked at 2.4 GB). A Bundle is read entry by entry with ijson; an
NDJSON file line by line. Each resource is checked before it is parsed or kept: its size
(:data:`MAX_RESOURCE_BYTES`), its nesting depth (:data:`MAX_DEPTH`, refused before a
parser recurses into it) and its id (FHIR's ``[A-Za-z0-9-.]{1,64}``). Every refusal says
which file, line or entry.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ijson

from filiform.errors import ValidationFailed

MAX_RESOURCE_BYTES = 16 << 20
MAX_DEPTH = 64
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_TOKENS = re.compile(r'["\\\[\]{}]')


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether brackets outside strings nest deeper than ``limit`` (no recursion)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth, in_string, skip_to = 0, False, -1
    for match in _TOKENS.finditer(text):
        if match.start() < skip_to:
            continue
        token = match.group()
        if in_string:
            if token == "\\":
                skip_to = match.end() + 1
            elif token == '"':
                in_string = False
            continue
        if token == '"':
            in_string = True
        elif token in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _depth(value: Any) -> int:
    """Nesting depth of a parsed value, iteratively (a deep value cannot overflow the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def checked(res: Any, where: str) -> dict[str, Any]:
    """A resource with a type and a valid FHIR id (or a clear refusal naming ``where``)."""
    if not isinstance(res, dict):
        raise ValidationFailed(f"{where}: not a FHIR resource (a JSON object is expected)")
    kind, rid = res.get("resourceType"), res.get("id")
    if not isinstance(kind, str) or not re.fullmatch(r"[A-Z][A-Za-z]{1,63}", kind):
        raise ValidationFailed(f"{where}: needs a resourceType and an id (no valid resourceType)")
    if not isinstance(rid, str) or not FHIR_ID.match(rid):
        shown = str(rid)[:40] + ("..." if len(str(rid)) > 40 else "")
        raise ValidationFailed(f"{where}: {kind} id {shown!r} is not a FHIR id (letters, digits, '-', '.'; 1-64)")
    return res


def _ndjson(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with path.open("rb") as handle:
        for n, raw in enumerate(handle, 1):
            where = f"{path.name} line {n}"
            if len(raw) > MAX_RESOURCE_BYTES:
                raise ValidationFailed(f"{where}: a resource over {MAX_RESOURCE_BYTES >> 20} MB")
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise ValidationFailed(f"{where}: not UTF-8 text (byte {exc.start})") from None
            if too_deep(text):
                raise ValidationFailed(f"{where}: nested deeper than {MAX_DEPTH} levels")
            try:
                res = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValidationFailed(f"{where}: not valid JSON ({exc.msg}, column {exc.colno})") from None
            yield where, checked(res, where)


def _bundle(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """Entries of a Bundle, one at a time; ``fullUrl`` kept with the resource."""
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip()
        if not head.startswith(b"{"):
            raise ValidationFailed(f"{path} is not a FHIR Bundle (no JSON object)")
        handle.seek(0)
        n = 0
        try:
            for n, entry in enumerate(ijson.items(handle, "entry.item", use_float=True), 1):
                where = f"{path.name} entry {n}"
                if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
                    raise ValidationFailed(f"{path.name}: entry {n} has no resource")
                if _depth(entry["resource"]) > MAX_DEPTH:
                    raise ValidationFailed(f"{where}: nested deeper than {MAX_DEPTH} levels")
                res = checked(entry["resource"], where)
                if isinstance(entry.get("fullUrl"), str):
                    res = {**res, "_fullUrl": entry["fullUrl"][:300]}
                yield where, res
        except ijson.JSONError as exc:
            raise _json_error(path, f"after entry {n} ({str(exc)[:120]})") from None
        except RecursionError:
            raise ValidationFailed(f"{path.name}: nested deeper than {MAX_DEPTH} levels") from None
    if n == 0:
        raise ValidationFailed(f"{path.name}: the Bundle has no entries to import")


def bundle_type(path: Path) -> str | None:
    """The ``type`` of a Bundle file (``collection``, ``transaction``...), read without loading it."""
    with path.open("rb") as handle:
        try:
            for prefix, event, value in ijson.parse(handle):
                if prefix == "resourceType" and value != "Bundle":
                    raise ValidationFailed(f"{path.name} is not a FHIR Bundle (resourceType {str(value)[:40]})")
                if prefix == "type" and event == "string":
                    return str(value)
        except ijson.JSONError as exc:
            raise _json_error(path, f"({str(exc)[:120]})") from None
    return None


def _json_error(path: Path, streamed: str) -> ValidationFailed:
    """Where a Bundle file's JSON breaks: the streaming parser cannot say, so a file small
    enough is parsed again to name the line and column; a larger one gets the parser's words."""
    if path.stat().st_size <= MAX_RESOURCE_BYTES:
        try:
            json.loads(path.read_bytes().decode("utf-8"))
        except UnicodeDecodeError as err:
            return ValidationFailed(f"{path} is not UTF-8 text (byte {err.start})")
        except json.JSONDecodeError as err:
            return ValidationFailed(f"{path} is not valid JSON: line {err.lineno} column {err.colno} ({err.msg})")
    return ValidationFailed(f"{path} is not valid JSON {streamed}")


JSON_KINDS = {"[": "array", '"': "string", "t": "boolean", "f": "boolean", "n": "null"}


def _sniff(path: Path) -> None:
    """Refuse a file that is not text or not a JSON object, reading only its start."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise ValidationFailed(f"{path} is not UTF-8 text (byte {exc.start})") from None
    first = text.lstrip()[:1]
    if first and (first in JSON_KINDS or first in "-0123456789"):
        raise ValidationFailed(f"{path} is not a FHIR Bundle (a JSON {JSON_KINDS.get(first, 'number')})")


def resources(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, resource) for every resource under ``path`` (folder, .ndjson file or Bundle)."""
    if not path.exists():
        raise ValidationFailed(f"no such file: {path}")
    if path.is_dir():
        files = sorted(path.glob("*.ndjson"))
        if not files:
            raise ValidationFailed(f"{path} is a folder with no .ndjson files (a Bulk Data export holds <Type>.ndjson)")
        for file in files:
            yield from _ndjson(file)
        return
    if path.suffix == ".ndjson":
        yield from _ndjson(path)
        return
    _sniff(path)
    kind = bundle_type(path)
    if kind not in (None, "collection", "transaction", "batch", "searchset", "document"):
        raise ValidationFailed(f"{path.name}: a Bundle of type {kind!r} cannot be imported")
    yield from _bundle(path)
