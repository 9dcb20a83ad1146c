"""Types shared by the browser tests (outside conftest.py, so imports never clash with
another folder's conftest module)."""

from __future__ import annotations

from dataclasses import dataclass

from filiform.services.operations.demo import DEMO_PASSWORD


@dataclass
class LiveServer:
    url: str
    clinician: str
    password: str = DEMO_PASSWORD
    database: str = ""  # the server's database URL, for tests that set records up through the services
