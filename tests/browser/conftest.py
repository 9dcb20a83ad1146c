"""Browser fixtures: the real app under uvicorn on a free loopback port, Debian's chromium.

The server runs in a thread on a temp SQLite demo clinic; Playwright drives
``/usr/bin/chromium`` (never a downloaded browser).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from browser_world import LiveServer
from playwright.sync_api import Browser, Page
from sqlalchemy.engine import Engine

from filiform.app.factory import create_app
from filiform.services.operations.demo import DemoStats, generate
from filiform.storage.engine import make_engine
from filiform.storage.migrate import upgrade

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}, "accept_downloads": True}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(
    base: Path, *, idle: timedelta | None = None, setup: Callable[[Engine, DemoStats], None] | None = None
) -> Iterator[LiveServer]:
    """A demo clinic on a temp SQLite file under uvicorn (``setup`` runs on the database first)."""
    url = f"sqlite:///{base / 'filiform.db'}"
    engine = make_engine(url)
    upgrade(engine)
    stats = generate(engine, patients=6, seed=5)
    if setup is not None:
        setup(engine, stats)
    engine.dispose()
    clinician = next(u for u in stats.usernames if u.startswith("demo-clinician-"))
    app = create_app(url, idle=idle)
    app.state.hrv_dir = str(base / "hrv")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield LiveServer(url=f"http://127.0.0.1:{port}", clinician=clinician, database=url)
    server.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    yield from serve(tmp_path_factory.mktemp("browser"))


TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


def _page(browser: Browser, options: dict[str, Any]) -> Iterator[Page]:
    context = browser.new_context(**options, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def tablet(browser: Browser) -> Iterator[Page]:
    """A page at 1024x768 with touch events (a tablet held landscape)."""
    yield from _page(browser, TABLET)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A page at 390x844 with touch events (a phone)."""
    yield from _page(browser, PHONE)


@pytest.fixture(scope="session")
def shots_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Screenshots go to a temporary folder, or to docs/screenshots when
    FILIFORM_SCREENSHOTS=1 (to refresh the pictures in the docs on purpose)."""
    if os.environ.get("FILIFORM_SCREENSHOTS") == "1":
        path = Path(__file__).parents[2] / "docs" / "screenshots"
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")
