"""The clinic's server-rendered web UI: one router and its static files.

``filiform.app.factory`` includes :data:`router` and mounts :data:`STATIC_DIR` at
``/static``. The security middleware there sets ``request.state.actor`` and
``request.state.csrf_token``; pages read them through :mod:`filiform.web.common`.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter

from . import (
    account_pages,
    auth_pages,
    chart,
    consent,
    drafts,
    handout,
    measures,
    patients,
    plan,
    record_pages,
    screening,
    sessions,
)
from .common import render_error
from .portal_routes import router as portal_router

STATIC_DIR = Path(__file__).with_name("static")

router = APIRouter()
_PAGES = (auth_pages, account_pages, patients, consent, screening, chart, plan, sessions, measures, handout)
for _module in (*_PAGES, drafts, record_pages):
    router.include_router(_module.router)
router.include_router(portal_router)  # appointments, clinic settings, outbox, patient portal

__all__ = ["STATIC_DIR", "render_error", "router"]
