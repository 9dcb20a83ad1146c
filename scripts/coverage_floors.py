"""Check the branch-coverage floors per package after ``scripts/test``; floors only rise.

Reads the combined ``.coverage`` data, sums statements and branches per package (the
same "line + branch" percentage coverage.py reports) and fails when a package is below
its floor in ``tests/coverage_floors.json``.  ``--ratchet`` raises each floor to the
measured figure (rounded down to a whole percent), never lowers one.  It also lists the
functions of the safety and access modules that no test ran (every one must run).

Usage: .venv/bin/python scripts/coverage_floors.py [--ratchet]
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
from pathlib import Path

import coverage

ROOT = Path(__file__).resolve().parent.parent
FLOORS = ROOT / "tests" / "coverage_floors.json"
MUST_RUN_EVERY_FUNCTION = ("filiform/core/safety/", "filiform/services/access/")


def _report() -> dict[str, dict]:
    cov = coverage.Coverage(data_file=str(ROOT / ".coverage"), config_file=str(ROOT / "pyproject.toml"))
    cov.load()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "coverage.json"
        cov.json_report(outfile=str(out))
        files: dict[str, dict] = json.loads(out.read_text())["files"]
    return {str(Path(name).resolve().relative_to(ROOT)): data for name, data in files.items()}


def _package(path: str) -> str:
    parts = path.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


def per_package(files: dict[str, dict]) -> dict[str, float]:
    totals: dict[str, list[int]] = {}
    for path, data in files.items():
        s = data["summary"]
        t = totals.setdefault(_package(path), [0, 0])
        t[0] += s["covered_lines"] + s.get("covered_branches", 0)
        t[1] += s["num_statements"] + s.get("num_branches", 0)
    return {pkg: 100.0 * hit / (total or 1) for pkg, (hit, total) in sorted(totals.items())}


def never_run(files: dict[str, dict]) -> list[str]:
    missing = []
    for path, data in sorted(files.items()):
        if not path.startswith(MUST_RUN_EVERY_FUNCTION):
            continue
        for name, fn in data.get("functions", {}).items():
            if name and fn["summary"]["num_statements"] and not fn["summary"]["covered_lines"]:
                missing.append(f"{path}::{name}")
    return missing


def main(argv: list[str]) -> int:
    files = _report()
    measured = per_package(files)
    floors: dict[str, float] = json.loads(FLOORS.read_text())
    failed = False
    print(f"{'package':<22} {'measured':>9} {'floor':>7}")
    for pkg, value in measured.items():
        floor = floors.get(pkg)
        mark = ""
        if floor is not None and value + 1e-9 < floor:
            mark, failed = "  BELOW FLOOR", True
        print(f"{pkg:<22} {value:8.1f}% {'' if floor is None else f'{floor:6.0f}%'}{mark}")
    unrun = never_run(files)
    if unrun:
        failed = True
        print("functions of safety/access modules no test ran (each must run):")
        print("\n".join(f"  {name}" for name in unrun))
    if "--ratchet" in argv:
        raised = {pkg: max(floors.get(pkg, 0), math.floor(value)) for pkg, value in measured.items() if pkg in floors}
        FLOORS.write_text(json.dumps(raised, indent=2, sort_keys=True) + "\n")
        print(f"floors written to {FLOORS.relative_to(ROOT)} (raised only)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
