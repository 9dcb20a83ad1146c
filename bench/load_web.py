"""Web stack under load: the patient page against a bare route, at 1, 4, 8 and 16 clients.

    .venv/bin/python bench/load_web.py --patients 2000 --seconds 8
    .venv/bin/python bench/load_web.py --source /path/to/other/checkout   # same bench, other code

Builds (or reuses) a SQLite demo clinic, starts ``filiform serve`` on 127.0.0.1 in its own
process, and drives it from this process (asyncio + httpx, one logged-in client per
concurrent worker, loopback only, bounded in seconds and requests).  For each client
count it measures, in the same run against the same server:

* ``page``: the HTML patient page ``GET /patients/{id}`` (session look-up, access audit
  row, demographics and timeline reads with their audit rows, template rendering);
* ``bare``: ``GET /api/auth/csrf`` logged in (middleware and session look-up, no data);
* ``anon``: the same bare route without a session (the floor).

Before the levels, every patient page is viewed once (``first``: after a warm-up of
``WARM`` patients by one client, which the server's first requests would otherwise pay
for in the one-client figure, half the remaining patients by one client and the other half
by eight), so the levels measure the steady state of a clinic day,
a record looked at again while unchanged (the page cache's hits); ``first`` gives the
cost of a view after a change (a miss: every read and the rendering) at 1 and 8 clients.

Each figure carries the server's CPU per request (``server_cpu_ms``, from ``/proc``; the
logins are outside the window): on a shared machine requests/s follow the other jobs, CPU
per request much less.  ``bare_cpu_over_page_cpu_at_8`` compares the server's cost of the
two; the throughput ratio also depends on this load generator, which runs on the same
cores and spends about 1 ms of CPU per request itself (so the bare route is bounded by
the client, the page by the server).

Then it prints the ratios issue 20 asks for: page(8)/page(1), page(8)/bare(8), p99 of
the page at 8 clients, and bare/anon latency at 1 client.  ``--source DIR`` runs the
server from another checkout (``PYTHONPATH=DIR``; use a separate ``--db``), to compare
before and after on the same machine in one sitting.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
LEVELS = (1, 4, 8, 16)
WARM = 20  # patients viewed before ``first`` is timed (not counted in it)


def server_cpu_s(pid: int | None) -> float | None:
    """CPU seconds (user + system) the server process used so far (Linux ``/proc``), else None.

    Why: on a shared machine requests/s follow the other jobs' load; the server's CPU per
    request does much less, and with one process and its GIL it is what bounds throughput.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _filiform() -> str:
    return str(Path(sys.executable).with_name("filiform"))


def prepare(path: Path, patients: int, source: Path | None) -> tuple[str, str, list[int]]:
    """Build the demo clinic with the code under test (a subprocess when --source is given)."""
    url = f"sqlite:///{path}"
    if not path.exists() or path.stat().st_size == 0:
        env = {**os.environ, **({"PYTHONPATH": str(source)} if source else {})}
        cmd = [_filiform(), "demo", "--patients", str(patients), "--db", url]
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
        print(f"demo clinic with {patients} patients built in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        user = conn.scalar(sa.text("SELECT username FROM app_user WHERE username LIKE 'demo-clinician-1-%' LIMIT 1"))
        password = "demo-password-not-for-production"
        ids = list(conn.scalars(sa.text("SELECT id FROM patient")))
    engine.dispose()
    return str(user), password, ids


async def _login(client: httpx.AsyncClient, user: str, password: str) -> None:
    token = (await client.get("/api/auth/csrf")).json()["data"]["csrf_token"]
    client.headers["X-CSRF-Token"] = token
    r = await client.post("/api/auth/login", json={"username": user, "password": password})
    r.raise_for_status()


async def measure(
    base: str,
    kind: str,
    clients: int,
    seconds: float,
    max_requests: int,
    login: tuple[str, str],
    ids: list[int],
    pid: int | None = None,
) -> dict[str, Any]:
    """``clients`` workers, each its own connection and (unless anonymous) its own session."""
    pool = [httpx.AsyncClient(base_url=base, timeout=60) for _ in range(clients)]
    try:
        if kind != "anon":
            await asyncio.gather(*(_login(c, *login) for c in pool))
        latencies: list[float] = []
        errors = 0
        rng = random.Random(clients)
        deadline = time.perf_counter() + seconds

        async def worker(client: httpx.AsyncClient) -> None:
            nonlocal errors
            while time.perf_counter() < deadline and len(latencies) < max_requests:
                path = f"/patients/{rng.choice(ids)}" if kind == "page" else "/api/auth/csrf"
                t0 = time.perf_counter()
                try:
                    resp = await client.get(path)
                except httpx.HTTPError:  # a dropped connection counts against the server
                    errors += 1
                    await asyncio.sleep(0.05)
                    continue
                latencies.append(time.perf_counter() - t0)
                errors += resp.status_code >= 400

        t0, cpu0 = time.perf_counter(), server_cpu_s(pid)
        await asyncio.gather(*(worker(c) for c in pool))
        elapsed, cpu1 = time.perf_counter() - t0, server_cpu_s(pid)
    finally:
        await asyncio.gather(*(c.aclose() for c in pool))
    latencies.sort()
    n = len(latencies) or 1
    latencies = latencies or [float("nan")]
    return {
        "requests": n,
        "errors": errors,
        "rps": round(n / elapsed, 1),
        "server_cpu_ms": round((cpu1 - cpu0) / n * 1000, 2) if cpu0 is not None and cpu1 is not None else None,
        "p50_ms": round(latencies[n // 2] * 1000, 2),
        "p99_ms": round(latencies[min(n - 1, int(n * 0.99))] * 1000, 1),
    }


async def first_views(base: str, clients: int, ids: list[int], login: tuple[str, str]) -> dict[str, Any]:
    """Each of ``ids`` viewed once, by ``clients`` workers taking the next id in turn."""
    pool = [httpx.AsyncClient(base_url=base, timeout=60) for _ in range(clients)]
    todo = list(ids)
    latencies: list[float] = []
    errors = 0
    try:
        await asyncio.gather(*(_login(c, *login) for c in pool))

        async def worker(client: httpx.AsyncClient) -> None:
            nonlocal errors
            while todo:
                pid = todo.pop()
                t0 = time.perf_counter()
                resp = await client.get(f"/patients/{pid}")
                latencies.append(time.perf_counter() - t0)
                errors += resp.status_code >= 400

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in pool))
        elapsed = time.perf_counter() - t0
    finally:
        await asyncio.gather(*(c.aclose() for c in pool))
    latencies.sort()
    n = len(latencies) or 1
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": round(n / elapsed, 1),
        "p50_ms": round(latencies[n // 2] * 1000, 2),
        "p99_ms": round(latencies[min(n - 1, int(n * 0.99))] * 1000, 1),
    }


def _serve(db: Path, source: Path | None) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, **({"PYTHONPATH": str(source)} if source else {})}
    cmd = [_filiform(), "serve", "--db", f"sqlite:///{db}", "--port", str(port)]
    server = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(base + "/api/auth/csrf", timeout=1)
            return server, base
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def ratios(results: dict[str, dict[int, dict[str, Any]]]) -> dict[str, float]:
    page, bare, anon = results["page"], results["bare"], results["anon"]
    return {
        "page_rps_8_over_1": round(page[8]["rps"] / page[1]["rps"], 2),
        "page_rps_8_over_bare_rps_8": round(page[8]["rps"] / bare[8]["rps"], 2),
        "page_p99_ms_at_8": page[8]["p99_ms"],
        "first_view_rps_8_over_1": round(results["first"][8]["rps"] / results["first"][1]["rps"], 2),
        "bare_p50_over_anon_p50_at_1": round(bare[1]["p50_ms"] / anon[1]["p50_ms"], 2),
        "bare_rps_1_over_anon_rps_1": round(bare[1]["rps"] / anon[1]["rps"], 2),
        "bare_cpu_over_page_cpu_at_8": _cpu_ratio(bare[8], page[8]),
    }


def _cpu_ratio(num: dict[str, Any], den: dict[str, Any]) -> float | None:
    """Server CPU per request of ``num`` over ``den``."""
    if not num.get("server_cpu_ms") or not den.get("server_cpu_ms"):
        return None
    return round(num["server_cpu_ms"] / den["server_cpu_ms"], 2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=2000)
    ap.add_argument("--db", type=Path, default=ROOT / "var" / "bench-web.db")
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--max-requests", type=int, default=20_000)
    ap.add_argument("--levels", type=int, nargs="+", default=list(LEVELS))
    ap.add_argument("--source", type=Path, help="run the server from this checkout (PYTHONPATH)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if 1 not in args.levels or 8 not in args.levels:
        raise SystemExit("--levels must include 1 and 8 (the ratios compare them)")
    user, password, ids = prepare(args.db, args.patients, args.source)
    server, base = _serve(args.db, args.source)
    results: dict[str, dict[int, dict[str, Any]]] = {"page": {}, "bare": {}, "anon": {}, "first": {}}
    try:
        asyncio.run(first_views(base, 1, ids[:WARM], (user, password)))
        timed = ids[WARM:]
        half = len(timed) // 2
        for level, part in ((1, timed[:half]), (8, timed[half:])):
            results["first"][level] = asyncio.run(first_views(base, level, part, (user, password)))
            print(f"first {level:2} clients: {json.dumps(results['first'][level])}", file=sys.stderr)
        for level in args.levels:
            for kind in ("anon", "bare", "page"):
                results[kind][level] = asyncio.run(
                    measure(base, kind, level, args.seconds, args.max_requests, (user, password), ids, server.pid)
                )
                print(f"{kind:5} {level:2} clients: {json.dumps(results[kind][level])}", file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=30)
    out = {"patients": len(ids), "source": str(args.source or ROOT), "results": results, "ratios": ratios(results)}
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
