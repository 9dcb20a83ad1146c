"""Records at scale: patient timeline and clinic dashboard latency at 1k/10k/100k patients.

One command runs everything on SQLite and on a throw-away PostgreSQL cluster::

    .venv/bin/python bench/records_scale.py                 # 1k, 10k, 100k on both
    .venv/bin/python bench/records_scale.py --sizes 1000 --dbs sqlite

Each size gets a fresh database filled by ``filiform.services.operations.demo`` (about ten sessions
per patient).  We then time service calls as the application makes them: the query, the
audit row and the durable commit.  Timeline: 300 random patients; dashboard: 100 calls.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from filiform.services.access.context import Actor, Role
from filiform.services.operations import demo
from filiform.services.records import reads
from filiform.storage.engine import make_engine, session_factory, transaction
from filiform.storage.migrate import upgrade
from filiform.storage.models import Patient, User
from filiform.storage.pgcluster import start_temp_cluster


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {
        "p50_ms": pick(0.50),
        "p95_ms": pick(0.95),
        "p99_ms": pick(0.99),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 2),
    }


def _time(n: int, call: Callable[[int], Any]) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        call(i)
        out.append(time.perf_counter() - t0)
    return out


def run_one(url: str, patients: int) -> dict[str, Any]:
    engine = make_engine(url)
    upgrade(engine)
    t0 = time.perf_counter()
    stats = demo.generate(engine, patients=patients)
    build_s = time.perf_counter() - t0
    if engine.dialect.name == "postgresql":
        # a clinic's tables are analysed by autovacuum long before anyone reads them; right
        # after a bulk load they are not, and the planner would be timing guesses
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    factory = session_factory(engine)
    with transaction(factory) as s:
        doc = s.scalar(sa.select(User).where(User.clinic_id == stats.clinic_id, User.role == "clinician").limit(1))
        assert doc is not None
        ids = list(s.scalars(sa.select(Patient.id).where(Patient.clinic_id == stats.clinic_id)))
    actor = Actor(user_id=doc.id, clinic_id=stats.clinic_id, role=Role.CLINICIAN, client="bench")
    rng = random.Random(1)
    sample = [rng.choice(ids) for _ in range(300)]

    def timeline(i: int) -> None:
        with transaction(factory) as s:
            reads.timeline(s, actor=actor, patient_id=sample[i])

    def dashboard(_: int) -> None:
        with transaction(factory) as s:
            reads.dashboard(s, actor=actor)

    _time(20, timeline)  # warm caches
    result = {
        "patients": patients,
        "sessions": stats.rows.get("treatment_session", 0),
        "insertions": stats.rows.get("insertion", 0),
        "build_s": round(build_s, 1),
        "timeline": _percentiles(_time(300, timeline)),
        "dashboard": _percentiles(_time(100, dashboard)),
    }
    engine.dispose()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--dbs", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"])
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--keep", type=Path, help="write the SQLite files here and keep them (for EXPLAIN QUERY PLAN)")
    args = parser.parse_args(argv)
    results = []
    cluster = start_temp_cluster() if "postgres" in args.dbs else None
    try:
        with tempfile.TemporaryDirectory(prefix="filiform-bench-") as scratch:
            tmp = str(args.keep or scratch)
            Path(tmp).mkdir(parents=True, exist_ok=True)
            for db in args.dbs:
                for size in args.sizes:
                    if db == "sqlite":
                        url = f"sqlite:///{Path(tmp) / f'bench_{size}.db'}"
                    else:
                        assert cluster is not None
                        url = cluster.create_database(f"bench_{size}")
                    row = {"db": db, **run_one(url, size)}
                    results.append(row)
                    tl, db_ = row["timeline"], row["dashboard"]
                    print(
                        f"{db:8} {size:>7} patients {row['sessions']:>8} sessions "
                        f"build {row['build_s']:>6}s | timeline p50 {tl['p50_ms']} "
                        f"p95 {tl['p95_ms']} p99 {tl['p99_ms']} ms | dashboard p50 "
                        f"{db_['p50_ms']} p95 {db_['p95_ms']} p99 {db_['p99_ms']} ms",
                        flush=True,
                    )
    finally:
        if cluster is not None:
            cluster.destroy()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
