"""A demo clinic, the real app with an injected clock, a real local SMTP server, and helpers
to act as staff and as a patient through their link (shared by the portal tests)."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller
from fastapi import FastAPI
from fastapi.testclient import TestClient

from filiform.app.factory import create_app
from filiform.core.concepts.clock import FixedClock
from filiform.services.operations.demo import DEMO_PASSWORD, generate
from filiform.storage.engine import make_engine
from filiform.storage.migrate import upgrade

START = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)  # a Monday


@dataclass
class World:
    url: str
    usernames: dict[str, str]
    clinic_id: int


def build_world(url: str, patients: int = 4) -> World:
    engine = make_engine(url)
    upgrade(engine)
    stats = generate(engine, patients=patients, seed=11)
    engine.dispose()
    roles: dict[str, str] = {}
    for name in stats.usernames:
        for role in ("admin", "clinician", "assistant", "front_desk"):
            if name.startswith(f"demo-{role}-") and role not in roles:
                roles[role] = name
    return World(url=url, usernames=roles, clinic_id=stats.clinic_id)


def make_app(url: str, clock: FixedClock) -> FastAPI:
    app = create_app(url)
    app.state.clock = clock
    return app


def token_in(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m is not None, html[:400]
    return m.group(1)


def login(client: TestClient, username: str) -> TestClient:
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token_in(page.text), "next": "/patients"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return client


def post(client: TestClient, path: str, data: dict[str, Any], *, page: str | None = None, **kw: Any) -> Any:
    """POST a form with the CSRF token of ``page`` (default: the page at ``path``)."""
    html = client.get(page or path).text
    return client.post(path, data={**data, "csrf_token": token_in(html)}, follow_redirects=False, **kw)


def send_link(staff: TestClient, patient_id: int, forms: list[str], **extra: Any) -> str:
    """Create a link on the portal page; returns its path (``/p/<token>``)."""
    data: dict[str, Any] = {"form": forms, "technique": ["trigger_point_dn"], "lang": "en", **extra}
    r = post(staff, f"/patients/{patient_id}/portal/links", data, page=f"/patients/{patient_id}/portal")
    assert r.status_code == 200, r.text[:2000]
    m = re.search(r'<code id="new-link-url">[^<]*(/p/[A-Za-z0-9_-]+)</code>', r.text)
    assert m is not None, r.text[:2000]
    return m.group(1)


def open_as_patient(app: FastAPI, path: str, birth_date: str | None = None) -> TestClient:
    patient = TestClient(app)
    start = patient.get(path)
    assert start.status_code == 200, start.text[:500]
    data = {"csrf_token": token_in(start.text)}
    if birth_date:
        data["birth_date"] = birth_date
    r = patient.post(path, data=data, follow_redirects=False)
    assert r.status_code == 303, r.text[:800]
    return patient


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Inbox:
    """What the local SMTP server received."""

    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@contextmanager
def smtp_server(**kwargs: Any) -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def body_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")
