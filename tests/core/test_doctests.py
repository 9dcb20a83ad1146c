"""The examples in the core's docstrings are tests: every one runs, and the public functions have one.

Equivalent to ``pytest --doctest-modules filiform/core``, kept as a plain test so the
suite's ordinary collection (and its conftest files) stays as it is.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

import filiform.core
from filiform.core.matching import engine
from filiform.core.outcomes import registry
from filiform.core.planning import plan
from filiform.core.safety import screening

MODULES = sorted(
    info.name for info in pkgutil.walk_packages(filiform.core.__path__, "filiform.core.") if not info.ispkg
)


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)  # each name found by walking the package, not a guess


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_run(name: str) -> None:
    failed, _ = doctest.testmod(_module(name), optionflags=doctest.ELLIPSIS, verbose=False)
    assert failed == 0


@pytest.mark.parametrize(
    "function", [engine.match, plan.build_plan, screening.screen, registry.score], ids=lambda f: f.__name__
)
def test_the_public_core_functions_show_an_example(function: object) -> None:
    assert doctest.DocTestFinder().find(function), f"{function} has no example"


def test_there_are_examples_to_run() -> None:
    found = sum(len(doctest.DocTestFinder().find(_module(name))) for name in MODULES)
    assert found >= 15
