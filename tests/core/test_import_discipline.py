"""Importing the core packages (and the report modules) does not import scipy or matplotlib.

scipy takes about a second to import and matplotlib half a second; only the functions that
draw a PNG or compute a spectrum need them, and they import them inside. Each package is
imported with all its modules in a fresh interpreter, so nothing imported earlier by the
test run can hide a regression; the failure names the first module that pulled one in.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("scipy", "matplotlib")
PACKAGES = (
    "filiform.core.hrv",
    "filiform.core.matching",
    "filiform.core.kb",
    "filiform.core.safety",
    "filiform.core.planning",
    "filiform.reports.pdf",
    "filiform.reports.outcome_plot",
    "filiform.reports.outcome_plot_svg",
    "filiform.reports.outcome_plot_model",
    "filiform.reports.hrv_plot",
    "filiform.reports.hrv_plot_svg",
    "filiform.reports.tachogram_style",
    "filiform.reports.atlas_render",
)

PROBE = """
import importlib, json, pkgutil, sys
name, heavy = sys.argv[1], tuple(sys.argv[2:])
def loaded():
    return sorted({m.split(".")[0] for m in sys.modules} & set(heavy))
names = [name]
package = importlib.import_module(name)
culprit = name if loaded() else None
for info in pkgutil.walk_packages(getattr(package, "__path__", []), name + "."):
    importlib.import_module(info.name)
    names.append(info.name)
    if culprit is None and loaded():
        culprit = info.name
print(json.dumps({"heavy": loaded(), "culprit": culprit, "modules": len(names)}))
"""


@pytest.mark.parametrize("package", PACKAGES)
def test_importing_does_not_load_scipy_or_matplotlib(package: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, package, *HEAVY], capture_output=True, text=True, timeout=120, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["heavy"] == [], f"{result['culprit']} imports {', '.join(result['heavy'])} at import time"
    assert result["modules"] >= 1


def test_the_probe_would_see_a_heavy_import() -> None:
    """The check itself: a module that does import matplotlib is reported."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, "filiform.reports.outcome_plot_png", *HEAVY],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["heavy"] == ["matplotlib"] and result["culprit"] == "filiform.reports.outcome_plot_png"
