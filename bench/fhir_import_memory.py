"""Peak memory of importing a Bulk Data NDJSON export, at two clinic sizes, to extrapolate.

One command::

    .venv/bin/python bench/fhir_import_memory.py                   # 1,000 and 10,000 patients
    .venv/bin/python bench/fhir_import_memory.py --sizes 1000 --json out.json

For each size a demo clinic is generated once into ``var/bench-import-<n>.db`` and
exported with ``filiform.fhir.exporter.bulk_export``. The import then runs in a fresh
child process (so nothing from generating or exporting inflates it) into an empty SQLite
database through ``filiform.fhir.importer.import_path``, as ``filiform import fhir``
does. The child reports its own peak resident set size (Linux ``VmHWM``) and, as the
baseline measured in the same run, its resident size and peak just before the import
starts (Python and Filiform loaded, the empty database migrated). What the import adds
is the difference. A memory that grows with the clinic shows as a difference that grows with
it; the 100k figure is a straight-line extrapolation from the two measured sizes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa


def _status_mb(field: str) -> float:
    """A memory figure of this process from Linux ``/proc/self/status`` (kB), in MB.

    ``VmHWM`` is the peak resident set of this process image. Not ``ru_maxrss``: Linux
    carries that over from the parent through fork and exec, so the child would report
    the parent's peak (generating the clinic) instead of its own.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"no {field} in /proc/self/status (this benchmark needs Linux)")


def _peak_mb() -> float:
    return _status_mb("VmHWM")


def _rss_mb() -> float:
    return _status_mb("VmRSS")


def _child(source: Path, target: Path) -> None:
    """Import ``source`` into a new database at ``target``; print the figures as JSON."""
    from filiform.fhir import importer
    from filiform.storage.engine import make_engine, session_factory, transaction
    from filiform.storage.migrate import upgrade

    engine = make_engine(f"sqlite:///{target}")
    upgrade(engine)
    before, rss = _peak_mb(), _rss_mb()
    t = time.perf_counter()
    with transaction(session_factory(engine)) as s:
        report = importer.import_path(s, source)
    seconds = time.perf_counter() - t
    rows = sum(report.counts.values())
    figures = {"baseline_mb": before, "rss_before_mb": rss, "peak_mb": _peak_mb(), "seconds": seconds, "rows": rows}
    print(json.dumps(figures))


def _clinic(patients: int) -> Path:
    from filiform.services.operations import demo
    from filiform.storage.engine import make_engine
    from filiform.storage.migrate import upgrade

    path = Path("var") / f"bench-import-{patients}.db"
    path.parent.mkdir(exist_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as c:
        have = c.execute(sa.text("SELECT COUNT(*) FROM patient")).scalar_one()
    if have != patients:
        if have:
            raise SystemExit(f"{path} holds {have} patients; delete it first")
        t = time.perf_counter()
        demo.generate(engine, patients=patients, seed=11)
        print(f"generated {patients} patients in {time.perf_counter() - t:.0f} s", flush=True)
    engine.dispose()
    return path


def _export(db: Path, out: Path) -> tuple[int, int]:
    from filiform.fhir import exporter
    from filiform.services.access.context import Actor, Role
    from filiform.storage.engine import make_engine

    engine = make_engine(f"sqlite:///{db}")
    with engine.connect() as c:
        uid, cid = c.execute(sa.text("SELECT id, clinic_id FROM app_user WHERE role='admin' ORDER BY id LIMIT 1")).one()
    manifest = exporter.bulk_export(engine, actor=Actor(user_id=uid, clinic_id=cid, role=Role.ADMIN), out_dir=out)
    engine.dispose()
    size = sum(p.stat().st_size for p in out.glob("*.ndjson"))
    return sum(o["count"] for o in manifest["output"]), size


def measure(patients: int) -> dict[str, Any]:
    db = _clinic(patients)
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        out, target = Path(tmp) / "export", Path(tmp) / "imported.db"
        resources, size = _export(db, out)
        run = subprocess.run(
            [sys.executable, __file__, "--child", str(out), str(target)], capture_output=True, text=True, check=True
        )
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    result = {"patients": patients, "resources": resources, "ndjson_mb": round(size / 1e6), **figures}
    result["added_mb"] = result["peak_mb"] - result["baseline_mb"]
    print(
        f"{patients:>7,} patients: {resources:>9,} resources, {size / 1e6:>6,.0f} MB NDJSON; "
        f"import {figures['seconds']:>6.0f} s; peak RSS {figures['peak_mb']:>6.0f} MB "
        f"(before the import: {figures['rss_before_mb']:.0f} MB resident, peak so far {figures['baseline_mb']:.0f} MB)",
        flush=True,
    )
    return result


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        _child(Path(sys.argv[2]), Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = [measure(n) for n in args.sizes]
    if len(results) >= 2:
        small, large = results[0], results[-1]
        slope = (large["peak_mb"] - small["peak_mb"]) / (large["patients"] - small["patients"])
        at_100k = large["peak_mb"] + slope * (100_000 - large["patients"])
        print(f"slope {slope * 1000:.2f} MB per 1,000 patients; extrapolated peak at 100,000: {at_100k:.0f} MB")
        results.append({"patients": 100_000, "extrapolated_peak_mb": round(at_100k)})
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
