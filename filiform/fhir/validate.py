"""Independent checks of an export: the official R4 JSON schema and reference closure.

The schema (``schema/fhir.schema.json``, HL7's R4 4.0.1 JSON schema, see its README) is
an oracle that shares no code with the mappers. ``jsonschema`` is a development
dependency, so it is imported only when schema validation is asked for.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

SCHEMA = Path(__file__).parent / "schema" / "fhir.schema.json"


@lru_cache(maxsize=1)
def _schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=64)
def _validator(resource_type: str) -> Any:
    from jsonschema import Draft6Validator

    root = _schema()
    if resource_type not in root["definitions"]:
        raise ValueError(f"not an R4 resource type: {resource_type}")
    schema = {"$schema": root["$schema"], "definitions": root["definitions"], "$ref": f"#/definitions/{resource_type}"}
    return Draft6Validator(schema)


def schema_errors(resource: dict[str, Any]) -> list[str]:
    """Problems the R4 JSON schema finds in one resource (empty when it validates)."""
    kind = str(resource.get("resourceType", ""))
    try:
        validator = _validator(kind)
    except ValueError as exc:
        return [str(exc)]
    return [
        f"{kind}/{resource.get('id')}: {'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
        for e in validator.iter_errors(resource)
    ]


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def dangling_references(resources: Iterable[dict[str, Any]]) -> list[str]:
    """References (``Type/id``) that point at no resource of the same export."""
    present: set[str] = set()
    wanted: list[tuple[str, str]] = []
    for res in resources:
        own = f"{res['resourceType']}/{res['id']}"
        present.add(own)
        wanted.extend((own, r) for r in _references(res))
    return [f"{src} -> {target}" for src, target in wanted if target not in present]
