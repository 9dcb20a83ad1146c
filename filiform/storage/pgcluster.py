"""A throw-away PostgreSQL 15 cluster for tests, benchmarks and demos.

The test suite and the benchmark must run against a real server on a fresh machine with
nothing but Debian's server packages, so they start their own cluster: ``initdb
--data-checksums`` (checksums are not the default before PostgreSQL 18) in a temporary
directory, a free loopback port, a private Unix-socket directory, trust authentication on
loopback only.  ``initdb`` refuses to run as root, so when we are root the cluster is
owned by, and run as, the ``postgres`` OS user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN_CANDIDATES = (
    os.environ.get("FILIFORM_PG_BIN", ""),
    "/usr/lib/postgresql/15/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/17/bin",
)


def find_pg_bin() -> Path | None:
    """The directory holding ``initdb``/``pg_ctl``/``pg_dump``, or None if not installed."""
    for candidate in PG_BIN_CANDIDATES:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class TempCluster:
    """A running cluster; ``url()`` gives a SQLAlchemy URL for a database in it."""

    root: Path
    port: int
    bin_dir: Path
    run_as: str | None
    user: str = "filiform"
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.root / "server.log"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def socket_dir(self) -> Path:
        return self.root / "sock"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def _cmd(self, *args: str) -> list[str]:
        prefix = ["runuser", "-u", self.run_as, "--"] if self.run_as else []
        return [*prefix, *args]

    def run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a server tool (initdb, pg_ctl, psql...) as the cluster's owner."""
        return subprocess.run(
            self._cmd(str(self.bin_dir / tool), *args),
            check=check,
            capture_output=True,
            text=True,
        )

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.run(
            "dropdb",
            "--if-exists",
            "--force",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            self.user,
            name,
        )

    def start(self) -> None:
        opts = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.socket_dir} "
            "-c fsync=on -c synchronous_commit=on -c max_connections=100"
        )
        self.run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log), "-o", opts, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "stop", check=False)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def start_temp_cluster(bin_dir: Path | None = None) -> TempCluster:
    """initdb (with data checksums) and start a private cluster; raise if impossible."""
    bin_dir = bin_dir or find_pg_bin()
    if bin_dir is None:
        raise RuntimeError(
            "PostgreSQL server binaries not found (install Debian's postgresql-15 package or set FILIFORM_PG_BIN)"
        )
    run_as = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="filiform-pg-"))
    (root / "sock").mkdir()
    if run_as:
        shutil.chown(root, user=run_as)
        shutil.chown(root / "sock", user=run_as)
        root.chmod(0o755)
    cluster = TempCluster(root=root, port=_free_port(), bin_dir=bin_dir, run_as=run_as)
    try:
        cluster.run(
            "initdb",
            "-D",
            str(cluster.data_dir),
            "--data-checksums",
            "-U",
            cluster.user,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        for attempt in range(5):
            try:
                cluster.start()
                break
            except subprocess.CalledProcessError:
                if attempt == 4:
                    raise
                cluster.port = _free_port()
                time.sleep(0.2)
    except subprocess.CalledProcessError as exc:
        log = cluster.log.read_text() if cluster.log.exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"could not start PostgreSQL: {exc.stderr}\n{log}") from exc
    return cluster
