"""The app is ready when built: knowledge base and engines load in create_app, not on a request.

Run in a fresh interpreter so no earlier test has already filled the process-wide caches.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from api_world import build_world, login
from fastapi.testclient import TestClient

from filiform.core.atlas.build import load_atlas
from filiform.core.kb.loader import load_kb
from filiform.core.matching.engine import default_engine
from filiform.core.planning.loader import load_conditions, load_techniques
from filiform.core.safety.rules import load_rules

LOADERS = {"kb": load_kb, "atlas": load_atlas, "matcher": default_engine, "rules": load_rules,
           "conditions": load_conditions, "techniques": load_techniques}
world = build_world("sqlite:///" + sys.argv[1])
for f in LOADERS.values():
    f.cache_clear()  # the world builder may have used some; start the app from nothing
from filiform.app.factory import create_app
from filiform.reports import pdf

before = {"neurokit2": "neurokit2" in sys.modules, "pdf fonts": pdf._fonts.cache_info().currsize > 0}
app = create_app(world.url)
after_start = {k: f.cache_info().misses for k, f in LOADERS.items()}
engines = {"neurokit2": "neurokit2" in sys.modules, "pdf fonts": pdf._fonts.cache_info().currsize > 0}
with TestClient(app) as client:
    login(client, "clinician_a")
    statuses = [
        client.post("/api/match", json={"regions": [{"region": "right-upper-trapezius", "intensity": 6}]}).status_code,
        client.get("/api/conditions").status_code,
        client.get("/api/kb/targets/infraspinatus").status_code,
        client.get("/api/conditions/lateral_elbow_tendinopathy").status_code,
    ]
after_requests = {k: f.cache_info() for k, f in LOADERS.items()}
print(json.dumps({
    "after_start": after_start,
    "misses": {k: i.misses for k, i in after_requests.items()},
    "hits": {k: i.hits for k, i in after_requests.items()},
    "before": before,
    "engines": engines,
    "statuses": statuses,
    "timed": sorted(getattr(app.state, "warm_up_s", {})),
}))
"""


def test_first_requests_after_start_load_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "api"), str(ROOT)])}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "warm.db")],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["statuses"] == [200, 200, 200, 200]
    # every loader ran exactly once, during create_app ...
    assert result["after_start"] == {k: 1 for k in result["after_start"]}
    # ... and the first requests were served from what start-up loaded
    assert result["misses"] == result["after_start"]
    assert result["hits"]["kb"] > 0 and result["hits"]["matcher"] > 0 and result["hits"]["conditions"] > 0
    assert result["before"] == {"neurokit2": False, "pdf fonts": False}
    assert result["engines"] == {"neurokit2": True, "pdf fonts": True}  # HRV and PDF engines set up too
    assert {"knowledge base", "referral matcher", "screening rules", "conditions"} <= set(result["timed"])
