"""Issue 19 fault suite: a 20 MB heart-rate upload while another user reads.

A real server process on SQLite; one clinician sends a 20 MB RR file through the session
form (over the RR text limit, so it is refused after being read, never parsed into
memory whole), while another reads a patient over the API in a loop. Every read must
answer, and none may take a second or more.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import httpx
import pytest
from api_world import PASSWORD, build_world
from server_proc import ensure_keys, start

UPLOAD_BYTES = 20 * 1000 * 1000


def _web_login(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    r = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1), "next": "/patients"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:500]
    return client


def _rr_text(size: int) -> bytes:
    line = b"812\n"
    return line * (size // len(line))


def test_reads_stay_fast_while_a_20_mb_recording_is_uploaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = tmp_path / "keys"
    ensure_keys(keys)
    monkeypatch.setenv("FILIFORM_AUDIT_KEY_FILE", str(keys / "audit.key"))
    url = f"sqlite:///{tmp_path / 'filiform.db'}"
    world = build_world(url)
    proc, base = start(url, keys)
    pid = world.patient["a"]
    latencies: list[float] = []
    failures: list[int] = []
    uploading = threading.Event()
    done = threading.Event()

    def reader() -> None:
        with httpx.Client(base_url=base, timeout=30) as c:
            c.headers["X-CSRF-Token"] = c.get("/api/auth/csrf").json()["data"]["csrf_token"]
            assert c.post("/api/auth/login", json={"username": "assistant_a", "password": PASSWORD}).status_code == 200
            uploading.wait(30)
            while not done.is_set():
                t0 = time.perf_counter()
                r = c.get(f"/api/patients/{pid}")
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    failures.append(r.status_code)

    try:
        web = _web_login(base, "clinician_a")
        form = web.get(f"/patients/{pid}/sessions/new")
        assert form.status_code == 200, form.text[:500]
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token is not None
        thread = threading.Thread(target=reader)
        thread.start()
        uploading.set()
        time.sleep(0.3)  # the reader is under way
        answer = web.post(
            f"/patients/{pid}/sessions/new",
            data={"csrf_token": token.group(1), "started_at": "2026-01-05T09:00"},
            files={"rr_file": ("big.csv", _rr_text(UPLOAD_BYTES), "text/csv")},
            follow_redirects=False,
        )
        time.sleep(0.3)
        done.set()
        thread.join(60)
    finally:
        done.set()
        proc.terminate()
        proc.wait(30)
    assert answer.status_code in (409, 413, 422), answer.status_code  # refused with a message, not a 500
    assert answer.status_code == 413 or "Heart-rate recording" in answer.text
    assert not failures, failures
    assert len(latencies) >= 5, latencies
    assert max(latencies) < 1.0, f"slowest read {max(latencies):.3f} s of {len(latencies)}"
