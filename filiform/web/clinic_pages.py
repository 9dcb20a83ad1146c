"""Clinic settings (time zone, contact details, link lifetime, calendar names) and the outbox."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from filiform.core.concepts.clock import show
from filiform.errors import FiliformError
from filiform.services.access.context import Actor, Perm, require
from filiform.services.operations import outbox
from filiform.services.operations.mailer import smtp_settings
from filiform.services.records import clinic_settings

from .common import attempt, form_int, render, run_page

router = APIRouter()


@router.get("/clinic/settings", include_in_schema=False)
def settings_page(request: Request) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        require(actor, Perm.MANAGE_USERS)
        row = clinic_settings.settings_of(s, actor.clinic_id)
        form = {
            n: getattr(row, n)
            for n in ("timezone", "address", "phone", "email", "link_hours", "reminder_hours", "calendar_names")
        }
        context = {
            "title": "Clinic settings",
            "form": form,
            "zones": sorted(available_timezones()),
            "saved": bool(request.query_params.get("saved")),
        }
        return render(request, "portal/staff_settings.html", context)

    return run_page(request, body)


@router.post("/clinic/settings", include_in_schema=False)
async def settings_save(request: Request) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def body(s: Session, actor: Actor) -> Any:
        errors: list[str] = []
        saved = attempt(
            s,
            errors,
            lambda: clinic_settings.update_settings(
                s,
                actor=actor,
                timezone=form.get("timezone", ""),
                address=form.get("address"),
                phone=form.get("phone"),
                email=form.get("email"),
                calendar_names=form.get("calendar_names") == "yes",
                link_hours=form_int(form.get("link_hours"), 0) or 0,
                reminder_hours=form_int(form.get("reminder_hours"), 0) or 0,
            ),
        )
        if saved is None:
            context = {
                "title": "Clinic settings",
                "form": form,
                "zones": sorted(available_timezones()),
                "errors": errors,
            }
            return render(request, "portal/staff_settings.html", context, status_code=422)
        return RedirectResponse("/clinic/settings?saved=1", status_code=303)

    return run_page(request, body)


def _smtp_configured() -> bool:
    try:
        return smtp_settings() is not None
    except FiliformError:
        return False


@router.get("/outbox", include_in_schema=False)
def outbox_page(request: Request) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        tz = clinic_settings.zone_of(s, actor.clinic_id)
        rows = outbox.messages(s, actor=actor)
        context = {"title": "Outbox", "rows": rows, "smtp": _smtp_configured(), "show": lambda m: show(m, tz)}
        return render(request, "portal/staff_outbox.html", context)

    return run_page(request, body)


@router.post("/outbox/{message_id}/cancel", include_in_schema=False)
def outbox_cancel(request: Request, message_id: int) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        outbox.cancel(s, actor=actor, message_id=message_id)
        return RedirectResponse("/outbox", status_code=303)

    return run_page(request, body)
