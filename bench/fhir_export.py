"""Bulk NDJSON export throughput versus building the same resources with a model library.

One command::

    .venv/bin/python bench/fhir_export.py                    # the 100k-patient demo clinic
    .venv/bin/python bench/fhir_export.py --patients 10000 --json out.json

The demo clinic is generated once into ``var/bench-fhir-<n>.db`` and reused. We time
``filiform.fhir.exporter.bulk_export`` end to end (queries, mapping, JSON, files), then
take an evenly spaced sample of the same resource dicts and time, per resource, what a
model-library exporter does: build the model from the data and serialise it, with
fhirclient (R4 4.0.1) and fhir.resources (R4B). Finally the output is checked: a sample
of every NDJSON file against the official R4 JSON schema. Figures are in docs/fhir.md.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from filiform.fhir import exporter
from filiform.fhir.validate import schema_errors
from filiform.services.access.context import Actor, Role
from filiform.services.operations import demo
from filiform.storage.engine import make_engine
from filiform.storage.migrate import upgrade


def _clinic(patients: int) -> tuple[sa.Engine, Actor]:
    path = Path("var") / f"bench-fhir-{patients}.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as c:
        have = c.execute(sa.text("SELECT COUNT(*) FROM patient")).scalar_one()
    if have != patients:
        if have:
            raise SystemExit(f"{path} holds {have} patients; delete it first")
        t = time.perf_counter()
        demo.generate(engine, patients=patients, seed=11)
        print(f"generated {patients} patients in {time.perf_counter() - t:.0f} s")
    with engine.connect() as c:
        uid, cid = c.execute(sa.text("SELECT id, clinic_id FROM app_user WHERE role='admin' ORDER BY id LIMIT 1")).one()
    return engine, Actor(user_id=uid, clinic_id=cid, role=Role.ADMIN, client="bench")


def _sample(engine: sa.Engine, clinic_id: int, every: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [r for n, r in enumerate(exporter.resources(conn, clinic_id)) if n % every == 0]


def _rate(label: str, sample: list[dict[str, Any]], build: Any) -> float:
    t = time.perf_counter()
    for res in sample:
        build(res)
    rate = len(sample) / (time.perf_counter() - t)
    print(f"{label:>34}: {rate:>10,.0f} resources/s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=20_000, help="resources for the baselines")
    parser.add_argument("--validate", type=int, default=300, help="lines schema-checked per file")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    engine, actor = _clinic(args.patients)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        manifest = exporter.bulk_export(engine, actor=actor, out_dir=Path(tmp))
        seconds = time.perf_counter() - t
        total = sum(o["count"] for o in manifest["output"])
        size = sum(p.stat().st_size for p in Path(tmp).glob("*.ndjson"))
        print(f"filiform bulk export: {total:,} resources, {size / 1e6:,.0f} MB in {seconds:.1f} s")
        ours = total / seconds
        print(f"{'filiform (dict + json.dumps)':>34}: {ours:>10,.0f} resources/s")
        rng = random.Random(1)
        problems, checked = [], 0
        for out in manifest["output"]:
            lines = (Path(tmp) / f"{out['type']}.ndjson").read_text().splitlines()
            for line in rng.sample(lines, min(args.validate, len(lines))):
                problems += schema_errors(json.loads(line))
                checked += 1
        print(f"schema-validated {checked} sampled resources: {len(problems)} problems")
    sample = _sample(engine, actor.clinic_id, max(1, total // args.sample))
    from fhir.resources.R4B import get_fhir_model_class
    from fhirclient.models.fhirelementfactory import FHIRElementFactory

    ours_mapped = _rate("filiform json.dumps only", sample, exporter.dumps)
    fc = _rate(
        "fhirclient R4: build + as_json",
        sample,
        lambda r: json.dumps(FHIRElementFactory.instantiate(r["resourceType"], r).as_json()),
    )
    fr = _rate(
        "fhir.resources R4B: validate+dump",
        sample,
        lambda r: get_fhir_model_class(r["resourceType"]).model_validate(r).model_dump_json(),
    )
    result = {
        "patients": args.patients,
        "resources": total,
        "seconds": round(seconds, 1),
        "mb": round(size / 1e6),
        "filiform_per_s": round(ours),
        "fhirclient_per_s": round(fc),
        "fhir_resources_r4b_per_s": round(fr),
        "dumps_only_per_s": round(ours_mapped),
        "speedup_vs_fhirclient": round(ours / fc, 1),
        "speedup_vs_fhir_resources": round(ours / fr, 1),
        "schema_checked": checked,
        "schema_problems": len(problems),
    }
    print(
        f"filiform end to end is {result['speedup_vs_fhirclient']}x fhirclient and "
        f"{result['speedup_vs_fhir_resources']}x fhir.resources (serialisation alone, no DB)"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
