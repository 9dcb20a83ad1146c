"""Load test of the web stack: uvicorn in its own process, httpx+asyncio client here.

    .venv/bin/python bench/load_web.py --patients 2000 --seconds 20 --concurrency 16

Builds (or reuses) a SQLite demo clinic, starts ``filiform serve`` on 127.0.0.1, logs in
as a demo clinician and drives a mixed workload: 50 % patient demographics, 20 % chart
timeline, 15 % family-name search, 15 % pain-drawing writes (each request also passes the
session lookup, the access audit row and, for reads, the service's own audit row).  Then
the same stack's trivial endpoint (``GET /api/auth/csrf``: middleware, no database) gives
the ceiling.  Bounded in requests and seconds; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import sqlalchemy as sa

from filiform.services.operations import demo
from filiform.storage.engine import make_engine
from filiform.storage.migrate import upgrade

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(path: Path, patients: int) -> tuple[str, list[int]]:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        have = conn.scalar(sa.text("SELECT count(*) FROM patient"))
    if not have:
        t0 = time.perf_counter()
        demo.generate(engine, patients=patients)
        print(f"demo clinic with {patients} patients built in {time.perf_counter() - t0:.0f} s")
    with engine.connect() as conn:
        user = conn.scalar(sa.text("SELECT username FROM app_user WHERE username LIKE 'demo-clinician-1-%' LIMIT 1"))
        ids = list(conn.scalars(sa.text("SELECT id FROM patient")))
    engine.dispose()
    return str(user), ids


async def run(
    base: str, user: str, ids: list[int], seconds: float, max_requests: int, concurrency: int, trivial: bool
) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        token = (await client.get("/api/auth/csrf")).json()["data"]["csrf_token"]
        client.headers["X-CSRF-Token"] = token
        r = await client.post("/api/auth/login", json={"username": user, "password": demo.DEMO_PASSWORD})
        r.raise_for_status()
        latencies: list[float] = []
        errors = 0
        deadline = time.perf_counter() + seconds
        rng = random.Random(1)

        async def one() -> None:
            nonlocal errors
            if trivial:
                req = client.get("/api/auth/csrf")
            else:
                pid, roll = rng.choice(ids), rng.random()
                if roll < 0.5:
                    req = client.get(f"/api/patients/{pid}")
                elif roll < 0.7:
                    req = client.get(f"/api/patients/{pid}/timeline")
                elif roll < 0.85:
                    req = client.get("/api/patients", params={"q": rng.choice("KLMRST")})
                else:
                    req = client.post(
                        f"/api/patients/{pid}/drawings",
                        json={
                            "drawn_on": date.today().isoformat(),
                            "regions": [{"region": "right-temple-middle", "intensity": 5}],
                        },
                    )
            t0 = time.perf_counter()
            resp = await req
            latencies.append(time.perf_counter() - t0)
            errors += resp.status_code >= 400

        async def worker() -> None:
            while time.perf_counter() < deadline and len(latencies) < max_requests:
                await one()

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - t0
    latencies.sort()
    n = len(latencies)
    return {
        "requests": n,
        "errors": errors,
        "seconds": round(elapsed, 2),
        "rps": round(n / elapsed, 1),
        "p50_ms": round(latencies[n // 2] * 1000, 1),
        "p99_ms": round(latencies[min(n - 1, int(n * 0.99))] * 1000, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=2000)
    ap.add_argument("--db", type=Path, default=ROOT / "var" / "bench-web.db")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--max-requests", type=int, default=20_000)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    user, ids = prepare(args.db, args.patients)
    port = _free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("filiform")),
            "serve",
            "--db",
            f"sqlite:///{args.db}",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(base + "/api/auth/csrf", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        mixed = asyncio.run(run(base, user, ids, args.seconds, args.max_requests, args.concurrency, trivial=False))
        ceiling = asyncio.run(
            run(base, user, ids, min(args.seconds, 10), args.max_requests, args.concurrency, trivial=True)
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    result = {
        "patients": len(ids),
        "mixed": mixed,
        "trivial": ceiling,
        "ratio": round(mixed["rps"] / ceiling["rps"], 3),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
