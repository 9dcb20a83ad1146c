"""Build a :class:`PainDrawing` from what people type or upload (names, JSON, YAML).

Names may be fuzzy (``"right temple"``); once resolved to atlas ids, the regions go
through the one region validator (:func:`filiform.core.concepts.validate_regions`), the
same as a drawing painted on the web chart or posted to the API.
"""

from __future__ import annotations

import re
from typing import Any

from filiform.core.atlas.lookup import resolve_region_name
from filiform.core.atlas.model import Atlas
from filiform.core.concepts import PainDrawing, validate_regions
from filiform.core.kb.yaml_source import YamlSyntaxError, parse
from filiform.errors import ValidationFailed

_WHOLE = re.compile(r"\s*[+-]?[0-9]+\s*")  # ASCII digits only; 'name=' alone is an error


def drawing_from_names(names: list[str], atlas: Atlas, intensity: int = 6) -> PainDrawing:
    """``["right temple", "right-jaw-angle"]`` -> a drawing with one intensity for all."""
    if not names:
        raise ValidationFailed("the pain drawing is empty: name at least one region")
    regions = []
    for text in names:
        name, sep, level = text.partition("=")
        value = intensity
        if sep:
            if not _WHOLE.fullmatch(level):
                raise ValidationFailed(f"intensity for '{name.strip()}' must be a whole number 0-10, got '{level}'")
            value = int(level)
        regions.append({"region": resolve_region_name(name, atlas), "intensity": value})
    return drawing_from_data({"regions": regions}, atlas)


def drawing_from_data(data: Any, atlas: Atlas) -> PainDrawing:
    """Validate a parsed JSON/YAML mapping; region names may be fuzzy."""
    if not isinstance(data, dict):
        raise ValidationFailed("a pain drawing is a mapping with a 'regions' list")
    regions = data.get("regions")
    if isinstance(regions, list):
        fixed = []
        for item in regions:
            if isinstance(item, dict) and isinstance(item.get("region"), str):
                item = {**item, "region": resolve_region_name(item["region"], atlas)}
            fixed.append(item)
        regions = validate_regions(fixed, atlas.regions)
    return PainDrawing.parse({**data, "regions": regions})


def drawing_from_text(text: str, atlas: Atlas, file: str = "drawing") -> PainDrawing:
    try:
        data = parse(text, file).data
    except YamlSyntaxError as exc:
        raise ValidationFailed(f"cannot parse the drawing as JSON or YAML: {exc}") from None
    return drawing_from_data(data, atlas)
