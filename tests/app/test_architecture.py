"""Structure the layer contract cannot see: import circles, guarded imports, API response models."""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

import grimp
import pytest
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute

import filiform
from filiform.api import adverse_events, consent, drawings, fhir, kb, measures, patients, plans, records, sessions

PACKAGE = Path(filiform.__file__).parent


@lru_cache(maxsize=1)
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("filiform")


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("filiform.core.kb.checks", "filiform.core.kb.loader"),
        ("filiform.fhir.billing", "filiform.fhir.exporter"),
        ("filiform.core.safety", "filiform.core.planning"),
        ("filiform.core.concepts", "filiform.core.atlas"),
        ("filiform.core.concepts", "filiform.core.kb"),
    ],
)
def test_no_arrow_that_would_close_a_circle(importer: str, imported: str) -> None:
    """The loader uses the checks, the exporter uses billing, planning uses safety: never back."""
    assert graph().find_shortest_chain(importer=importer, imported=imported) is None


# Circles that exist and are someone else's to break (listed so no new one can join them).
KNOWN_CIRCLES: set[frozenset[str]] = set()


def test_no_new_import_circle() -> None:
    g = graph()
    circles = {
        frozenset({a, b})
        for a in sorted(g.modules)
        for b in g.find_modules_directly_imported_by(a)
        if b != a and g.find_shortest_chain(importer=b, imported=a) is not None
    }
    assert circles <= KNOWN_CIRCLES, sorted(sorted(c) for c in circles - KNOWN_CIRCLES)


def _guarded_imports(path: Path) -> list[str]:
    """``importlib.import_module`` calls and ``getattr`` on modules: imports that hide a dependency."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "import_module":
            found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    return found


def test_modules_that_always_exist_are_imported_plainly() -> None:
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in _guarded_imports(path)]
    assert found == []


# api.auth and api.screening belong to the security and safety work; every other module is checked.
API_MODULES = (adverse_events, consent, drawings, fhir, kb, measures, patients, plans, records, sessions)


def test_every_json_endpoint_declares_its_response_model() -> None:
    routes = [route for module in API_MODULES for route in module.router.routes if isinstance(route, APIRoute)]
    assert len(routes) >= 25
    missing = [
        f"{sorted(route.methods)} {route.path}"
        for route in routes
        if route.response_model is None and not _answers_other_than_json(route)
    ]
    assert missing == []


def _answers_other_than_json(route: APIRoute) -> bool:
    """A file, an SVG, a FHIR Bundle or a Bulk Data status: declared by ``response_class``."""
    kind = route.response_class
    return (isinstance(kind, type) and issubclass(kind, Response) and kind is not JSONResponse) or (
        isinstance(kind, type) and kind is JSONResponse and "fhir" in route.path
    )


def test_test_helper_modules_have_names_unique_across_folders() -> None:
    """Test folders put themselves on ``sys.path`` and import their helpers by bare name, so two
    helpers called alike (``session_world.py`` in two folders) make whichever is imported first
    win, and a run fails or passes by test order."""
    tests = Path(__file__).resolve().parents[1]
    helpers: dict[str, list[str]] = {}
    for path in tests.rglob("*.py"):
        if path.name.startswith("test_") or path.name in ("conftest.py", "__init__.py"):
            continue
        helpers.setdefault(path.name, []).append(str(path.relative_to(tests)))
    assert {name: where for name, where in helpers.items() if len(where) > 1} == {}
