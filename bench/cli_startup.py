"""Wall time of CLI commands against ``python -c pass``, measured in the same run.

    .venv/bin/python bench/cli_startup.py                  # 5 runs of each command
    .venv/bin/python bench/cli_startup.py --runs 9 --json out.json --importtime

Each command runs in a fresh process (as a user types it), output discarded; the figure is
the median wall time and its ratio to the bare interpreter's start-up. The runs go round
robin over the commands (one of each, then the next round), so a burst of load on this
shared machine lands on all of them alike; the load average is printed with the result.
One unmeasured round first writes the bytecode (the bench removes
``PYTHONDONTWRITEBYTECODE`` from the commands' environment, as a user's shell has it) and
the knowledge-base cache, so the figures are warm starts; ``kb stats (cold cache)`` runs
with an empty cache folder each time, which is what the first command after an upgrade or
a data edit costs. ``--importtime``
also lists the slowest top-level imports of ``filiform --help`` (``python -X importtime``),
which is where start-up time goes before any command runs. This bench measures; it changes
nothing. Targets (issue 20): ``--help`` at most 10x ``python -c pass``; ``match`` and
``kb show`` under 0.5 s; ``kb stats`` under 0.5 s with a warm knowledge-base cache.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
FILIFORM = str(BIN / "filiform")
MATCH_REGIONS = "right temple (middle),right-upper-teeth-front,right eyebrow (lateral)"  # README's example
COMMANDS: dict[str, list[str]] = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "filiform --help": [FILIFORM, "--help"],
    "filiform kb stats": [FILIFORM, "kb", "stats"],
    "filiform match -r ...": [FILIFORM, "match", "-r", MATCH_REGIONS],
    "filiform kb show infraspinatus": [FILIFORM, "kb", "show", "infraspinatus"],
    "filiform kb stats (cold cache)": [FILIFORM, "kb", "stats"],
}
COLD = "filiform kb stats (cold cache)"
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _once(name: str, cmd: list[str]) -> tuple[float, float, int]:
    env = ENV
    with tempfile.TemporaryDirectory() as empty:
        if name == COLD:
            env = {**ENV, "FILIFORM_CACHE_DIR": empty}
        t0, c0 = time.perf_counter(), _children_cpu()
        code = subprocess.run(cmd, capture_output=True, check=False, env=env).returncode
        return time.perf_counter() - t0, _children_cpu() - c0, code


def measure(runs: int) -> dict[str, tuple[float, float, int]]:
    """Median wall and CPU seconds of each command over ``runs`` rounds, and its exit code.

    CPU time (user + system of the child) is what a busy machine disturbs least.
    """
    codes = {name: _once(name, cmd)[2] for name, cmd in COMMANDS.items()}  # warm-up round
    walls: dict[str, list[float]] = {name: [] for name in COMMANDS}
    cpus: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, cmd in COMMANDS.items():
            seconds, cpu, _ = _once(name, cmd)
            walls[name].append(seconds)
            cpus[name].append(cpu)
    return {name: (statistics.median(walls[name]), statistics.median(cpus[name]), codes[name]) for name in COMMANDS}


def slowest_imports(limit: int = 12) -> list[tuple[str, float]]:
    """Packages imported by ``filiform --help``, by the import time of all their modules (s).

    Each module's own ("self") time is added to its top-level package, so scipy pulled in
    through filiform counts as scipy.
    """
    code = (
        "import sys; sys.argv = ['filiform', '--help']\n"
        "from filiform.cli.main import main\n"
        "try:\n main()\nexcept SystemExit:\n pass"
    )
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=False, env=ENV
    )
    totals: dict[str, float] = {}
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if m:
            name = m.group(2).split(".")[0]
            totals[name] = totals.get(name, 0.0) + int(m.group(1)) / 1e6
    return sorted(totals.items(), key=lambda kv: kv[1], reverse=True)[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--importtime", action="store_true")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    results = measure(args.runs)
    load_after = os.getloadavg()[0]
    failed = [name for name, (_, _, code) in results.items() if code != 0]
    if failed:  # a command that exits early measures nothing useful
        print(f"warning: these commands failed (exit code shown below): {', '.join(failed)}")
    base, base_cpu, _ = results["python -c pass"]
    print(f"{'command':34s} {'wall s':>8s} {'cpu s':>8s} {'x python -c pass (wall; cpu)':>30s}  exit")
    for name, (seconds, cpu, code) in results.items():
        print(f"{name:34s} {seconds:8.3f} {cpu:8.3f} {seconds / base:14.1f}; {cpu / base_cpu:13.1f}  {code}")
    print(f"load average (1 min) before {load_before:.2f}, after {load_after:.2f}, on {os.cpu_count()} cores")
    report: dict[str, object] = {
        "runs": args.runs,
        "load_average": [load_before, load_after],
        "median_wall_s": {k: v[0] for k, v in results.items()},
        "median_cpu_s": {k: v[1] for k, v in results.items()},
        "ratio_wall": {k: v[0] / base for k, v in results.items()},
        "ratio_cpu": {k: v[1] / base_cpu for k, v in results.items()},
    }
    if args.importtime:
        every = slowest_imports(limit=10_000)
        total, imports = sum(seconds for _, seconds in every), every[:12]
        print(f"\nimport time of `filiform --help` by package (total {total:.2f} s):")
        for name, seconds in imports:
            print(f"  {name:30s} {seconds:6.3f}  {seconds / total:4.0%}")
        report["imports_s"] = dict(imports)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
