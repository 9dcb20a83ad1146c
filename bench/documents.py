"""Session-note PDF, patient handout PDF and outcome trend plot: through the web app and in process.

    .venv/bin/python bench/documents.py                 # 7 timed runs of each, after one warm-up
    .venv/bin/python bench/documents.py --runs 15 --json out.json

Builds a small demo clinic on a throw-away SQLite file, attaches a 20-minute RR recording
(baseline, needling, rest; seeded) to one of its sessions, logs in through the real login
page and times the routes a clinician waits on.  Every figure has a baseline measured in the
same run:

* routes against the logged-in patient page (same middleware, session lookup and audit);
* the PDFs against a one-paragraph WeasyPrint document (the PDF engine's floor);
* the trend plot against matplotlib drawing the same plot (the PNG path, and the renderer
  the web page used before the SVG was written directly).

"first" is the first call in this process (imports, fonts, caches cold), "median" the median
of ``--runs`` calls after it.  The session note is timed as a new document (PDF cache
cleared), also with its recording analysed again (HRV cache cleared too), and downloaded
again unchanged; plots with their content cache cleared and kept.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

Timing = dict[str, float]


def _time(fn: Callable[[], object], runs: int) -> Timing:
    """Wall time of the first call and the median of ``runs`` more; also the median CPU time of
    this process (all its threads, the in-process server's included), which other programs
    on a shared machine disturb far less than wall time."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    samples, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        samples.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {
        "first_ms": first * 1000,
        "median_ms": statistics.median(samples) * 1000,
        "min_ms": min(samples) * 1000,
        "cpu_ms": statistics.median(cpu) * 1000,
    }


def synthetic_rr(seed: int = 3, minutes: float = 20.0) -> str:
    """A session recording as text: 70/min at rest, 82/min while needled, 66/min after, with
    respiratory sinus arrhythmia, noise and two premature beats."""
    rng = np.random.default_rng(seed)
    t, out = 0.0, []
    while t < minutes * 60:
        hr = 70.0 if t < 300 else 82.0 if t < 900 else 66.0
        rr = 60000 / hr + 25 * np.sin(2 * np.pi * 0.25 * t) + rng.normal(0, 12)
        out.append(rr)
        t += rr / 1000
    for i in (200, 700):
        out[i] *= 0.65
        out[i + 1] += out[i] * 0.5
    return "\n".join(f"{x:.0f}" for x in out) + "\n"


def build_clinic(folder: Path) -> tuple[str, str, int, int, str]:
    """Demo clinic; returns url, clinician username, patient id, session id, instrument id."""
    from filiform.services.access.context import Actor, Role
    from filiform.services.operations.demo import generate
    from filiform.services.records import attachments
    from filiform.storage.engine import make_engine, session_factory
    from filiform.storage.migrate import upgrade

    url = f"sqlite:///{folder / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    generate(engine, patients=8, seed=5)
    with engine.connect() as conn:
        pid, iid = conn.execute(
            sa.text(
                "SELECT patient_id, instrument_id FROM outcome_response WHERE total IS NOT NULL "
                "GROUP BY patient_id, instrument_id ORDER BY count(*) DESC LIMIT 1"
            )
        ).one()
        sid, clinician_id, clinic_id = conn.execute(
            sa.text("SELECT id, clinician_id, clinic_id FROM treatment_session WHERE patient_id = :p LIMIT 1"),
            {"p": pid},
        ).one()
        username = conn.scalar(sa.text("SELECT username FROM app_user WHERE id = :u"), {"u": clinician_id})
    actor = Actor(user_id=clinician_id, clinic_id=clinic_id, role=Role.CLINICIAN)
    with session_factory(engine)() as s, s.begin():
        for kind, name, media, data in (
            ("rr", "rr.txt", "text/plain", synthetic_rr().encode()),
            ("other", "rr-phases.txt", "text/plain", b"baseline=0-300,needling=300-900,rest=900-1200"),
        ):
            attachments.add(s, actor=actor, session_id=sid, kind=kind, filename=name, media_type=media, data=data)
    engine.dispose()
    return url, str(username), int(pid), int(sid), str(iid)


def login(client: Any, username: str) -> None:
    from filiform.services.operations.demo import DEMO_PASSWORD

    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    r = client.post(
        "/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token.group(1), "next": "/patients"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def _cache_clearers() -> tuple[Callable[[], None], Callable[[], None]]:
    """Clear functions of the HRV analysis cache and the PDF cache (no-ops before they existed)."""
    from filiform.core.hrv import session
    from filiform.reports import pdf

    nothing: Callable[[], None] = lambda: None  # noqa: E731
    return getattr(session, "clear_analysis_cache", nothing), getattr(pdf, "clear_pdf_cache", nothing)


def route_timings(url: str, username: str, pid: int, sid: int, iid: str, runs: int) -> dict[str, Timing]:
    from fastapi.testclient import TestClient

    from filiform.app.factory import create_app

    t0 = time.perf_counter()
    app = create_app(url)
    started = (time.perf_counter() - t0) * 1000
    out: dict[str, Timing] = {}
    with TestClient(app) as client:
        login(client, username)

        def get(path: str, kind: str) -> Callable[[], object]:
            def call() -> object:
                r = client.get(path)
                assert r.status_code == 200 and kind in r.headers["content-type"], (path, r.status_code)
                return r

            return call

        out["patient page (baseline)"] = _time(get(f"/patients/{pid}", "text/html"), runs)
        note = get(f"/patients/{pid}/sessions/{sid}/note.pdf", "application/pdf")
        clear_analysis, clear_pdf = _cache_clearers()

        def note_new() -> object:
            clear_pdf()
            return note()

        def note_cold() -> object:
            clear_analysis()
            return note_new()

        out["session note PDF, rendered"] = _time(note_new, runs)
        out["session note PDF, rendered, HRV re-analysed"] = _time(note_cold, runs)
        out["session note PDF, downloaded again"] = _time(note, runs)
        handout = f"/patients/{pid}/handout.pdf?condition=myofascial_neck_shoulder"
        handout_get = get(handout, "application/pdf")

        def handout_new() -> object:
            clear_pdf()
            return handout_get()

        out["handout PDF, rendered"] = _time(handout_new, runs)
        out["trend plot"] = _time(get(f"/patients/{pid}/measures/{iid}/plot.svg", "image/svg+xml"), runs)
        out["measures page"] = _time(get(f"/patients/{pid}/measures", "text/html"), runs)

        def page_with_plots() -> object:
            page = client.get(f"/patients/{pid}/measures")
            for src in re.findall(r'<img src="([^"]+/plot\.svg)"', page.text):
                assert client.get(src).status_code == 200
            return page

        out["measures page + all its plots"] = _time(page_with_plots, runs)
    out["app start-up"] = {"first_ms": started, "median_ms": started, "min_ms": started, "cpu_ms": float("nan")}
    return out


def process_timings(runs: int) -> dict[str, Timing]:
    from weasyprint import HTML

    from filiform.core.outcomes import DatedScore
    from filiform.reports import outcome_plot, pdf

    start = date(2026, 1, 5)
    points = [DatedScore(when=start + timedelta(weeks=i), value=v) for i, v in enumerate([44, 40, 34, 30, 22, 20])]
    clear = getattr(outcome_plot, "clear_plot_cache", lambda: None)

    def cold_svg() -> object:
        clear()
        return outcome_plot.render_outcome_plot("ndi", points, fmt="svg")

    def cold_png() -> object:
        clear()
        return outcome_plot.render_outcome_plot("ndi", points, fmt="png")

    clear_pdf = getattr(pdf, "clear_pdf_cache", lambda: None)

    def handout() -> object:
        clear_pdf()
        return pdf.handout_pdf("## After\n\n- Soreness settles.", title="Your treatment", patient_name="A B")

    out = {
        "PDF engine floor (one paragraph)": _time(lambda: HTML(string="<p>x</p>").write_pdf(), runs),
        "handout PDF rendered (in process)": _time(handout, runs),
        "trend plot SVG, cache cleared": _time(cold_svg, runs),
        "trend plot SVG, cached": _time(lambda: outcome_plot.render_outcome_plot("ndi", points, fmt="svg"), runs),
        "trend plot PNG (matplotlib)": _time(cold_png, runs),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="filiform-bench-docs-") as tmp:
        url, username, pid, sid, iid = build_clinic(Path(tmp))
        t0 = time.perf_counter()
        routes = route_timings(url, username, pid, sid, iid, args.runs)
        inproc = process_timings(args.runs)
        total = time.perf_counter() - t0
    page = routes["patient page (baseline)"]["median_ms"]
    floor = inproc["PDF engine floor (one paragraph)"]["median_ms"]
    mpl = inproc["trend plot PNG (matplotlib)"]["median_ms"]
    page_cpu = routes["patient page (baseline)"]["cpu_ms"]
    print(f"{'':46s} {'first ms':>9s} {'median ms':>10s} {'cpu ms':>8s} {'ratio (wall; cpu)':>30s}")
    for name, t in routes.items():
        ratio = ""
        if "baseline" not in name and "start-up" not in name:
            ratio = f"{t['median_ms'] / page:6.1f}x; {t['cpu_ms'] / page_cpu:6.1f}x patient page"
        print(f"{name:46s} {t['first_ms']:9.0f} {t['median_ms']:10.1f} {t['cpu_ms']:8.1f} {ratio:>30s}")
    for name, t in inproc.items():
        if "PDF" in name and "floor" not in name:
            ratio = f"{t['median_ms'] / floor:6.1f}x PDF floor"
        elif "SVG" in name:
            ratio = f"{t['median_ms'] / mpl:6.3f}x matplotlib"
        else:
            ratio = ""
        print(f"{name:46s} {t['first_ms']:9.0f} {t['median_ms']:10.1f} {t['cpu_ms']:8.1f} {ratio:>30s}")
    print(f"(instrument {iid}; {args.runs} runs; {total:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps({"routes": routes, "in_process": inproc, "instrument": iid}, indent=2))


if __name__ == "__main__":
    main()
