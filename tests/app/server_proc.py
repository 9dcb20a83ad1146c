"""Start ``filiform serve`` in its own process for tests that need real processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(url: str, keys: Path, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    """A server on ``url`` (keys in ``keys``), ready to answer; returns (process, base URL)."""
    port = free_port()
    environ = {
        **os.environ,
        "FILIFORM_SECRET_KEY_FILE": str(keys / "secret.key"),
        "FILIFORM_AUDIT_KEY_FILE": str(keys / "audit.key"),
        **env,
    }
    cmd = [str(Path(sys.executable).with_name("filiform")), "serve", "--db", url, "--port", str(port)]
    proc = subprocess.Popen(cmd, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            httpx.get(base + "/api/auth/csrf", timeout=1)
            return proc, base
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("server did not start")


def ensure_keys(keys: Path) -> None:
    """Both processes must share one secret key and one audit key (created here)."""
    import base64

    keys.mkdir(parents=True, exist_ok=True)
    for name, line in (
        ("secret.key", base64.b64encode(os.urandom(32)).decode()),
        ("audit.key", "k1 " + base64.b64encode(os.urandom(32)).decode()),
    ):
        path = keys / name
        if not path.exists():
            path.write_text(line + "\n")
            path.chmod(0o600)
