"""Appointments: each clinician's day and week, book, move, cancel, no-show, link the session;
the clinician's iCalendar feed.  Times are entered and shown on the clinic's clock."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from filiform.core.concepts.clock import day_bounds, local_date, parse_local, show, week_days
from filiform.errors import FiliformError
from filiform.reports.calendar_ics import feed_ics
from filiform.services.access.context import Actor, Perm
from filiform.services.records import appointments, calendar_feeds, patients
from filiform.services.records.clinic_settings import letterhead, zone_of
from filiform.storage.models import Appointment

from .common import attempt, form_int, render, run_page, unit_of_work
from .portal_render import base_url, clock_of

router = APIRouter()


def _day(raw: str, today: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else today
    except ValueError:
        return today


def _page(request: Request, s: Session, actor: Actor, *, errors: list[str] | None = None, status: int = 200) -> Any:
    q = request.query_params
    tz = zone_of(s, actor.clinic_id)
    today = local_date(clock_of(request).now(), tz)
    day, view = _day(q.get("day", ""), today), "week" if q.get("view") == "week" else "day"
    docs = appointments.clinicians(s, actor=actor)
    chosen = form_int(q.get("clinician"), None)
    if chosen is None and actor.role.value == "clinician":
        chosen = actor.user_id
    days = week_days(day) if view == "week" else [day]
    start, end = day_bounds(days[0], tz)[0], day_bounds(days[-1], tz)[1]
    rows = appointments.in_range(s, actor=actor, start=start, end=end, clinician_id=chosen)
    by_day = {d: [r for r in rows if local_date(r.starts_at, tz) == d] for d in days}
    linkable: dict[int, list[Any]] = {}
    if actor.can(Perm.READ_CLINICAL):
        for r in rows:
            if r.status == "booked" and r.session_id is None:
                appointment = s.get(Appointment, r.id)
                if appointment is not None:
                    linkable[r.id] = appointments.sessions_to_link(s, actor=actor, appointment=appointment)
    people = patients.search_patients(s, actor=actor, limit=200)
    return render(
        request,
        "appointments/list.html",
        {
            "title": "Appointments",
            "tz": tz,
            "day": day,
            "view": view,
            "days": days,
            "by_day": by_day,
            "clinicians": docs,
            "chosen": chosen,
            "people": people,
            "preselect": form_int(q.get("patient"), None),
            "linkable": linkable,
            "show": lambda moment, fmt="%H:%M": show(moment, tz, fmt),
            "prev": (day - timedelta(days=7 if view == "week" else 1)).isoformat(),
            "next": (day + timedelta(days=7 if view == "week" else 1)).isoformat(),
            "errors": errors or [],
        },
        status_code=status,
    )


@router.get("/appointments", include_in_schema=False)
def appointment_list(request: Request) -> Any:
    return run_page(request, lambda s, a: _page(request, s, a))


def _back(request: Request, form: dict[str, str]) -> str:
    day, view, who = form.get("back_day", ""), form.get("back_view", "day"), form.get("back_clinician", "")
    return f"/appointments?day={day}&view={view}" + (f"&clinician={who}" if who else "")


@router.post("/appointments", include_in_schema=False)
async def appointment_book(request: Request) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def body(s: Session, actor: Actor) -> Any:
        errors: list[str] = []

        def book() -> Appointment:
            starts = parse_local(form.get("date", ""), form.get("time", ""), zone_of(s, actor.clinic_id))
            return appointments.book(
                s,
                actor=actor,
                patient_id=form_int(form.get("patient_id"), 0) or 0,
                clinician_id=form_int(form.get("clinician_id"), 0) or 0,
                starts_at=starts,
                minutes=form_int(form.get("minutes"), 30) or 30,
            )

        saved = attempt(s, errors, book)
        if saved is None:
            return _page(request, s, actor, errors=errors, status=422)
        day = local_date(saved.starts_at, zone_of(s, actor.clinic_id)).isoformat()
        return RedirectResponse(f"/appointments?day={day}&clinician={saved.clinician_id}", status_code=303)

    return run_page(request, body)


@router.post("/appointments/{appointment_id}/{action}", include_in_schema=False)
async def appointment_change(request: Request, appointment_id: int, action: str) -> Any:
    form = {k: str(v) for k, v in (await request.form()).items()}

    def body(s: Session, actor: Actor) -> Any:
        errors: list[str] = []
        version = form_int(form.get("version"), None)
        tz = zone_of(s, actor.clinic_id)
        if action == "move":
            attempt(
                s,
                errors,
                lambda: appointments.move(
                    s,
                    actor=actor,
                    appointment_id=appointment_id,
                    starts_at=parse_local(form.get("date", ""), form.get("time", ""), tz),
                    minutes=form_int(form.get("minutes"), None),
                    version=version,
                ),
            )
        elif action in ("cancel", "no_show"):
            status = "cancelled" if action == "cancel" else "no_show"
            attempt(
                s,
                errors,
                lambda: appointments.set_status(
                    s, actor=actor, appointment_id=appointment_id, status=status, version=version
                ),
            )
        elif action == "link":
            attempt(
                s,
                errors,
                lambda: appointments.link_session(
                    s, actor=actor, appointment_id=appointment_id, session_id=form_int(form.get("session_id"), 0) or 0
                ),
            )
        else:
            errors.append(f"unknown action '{action[:20]}'")
        if errors:
            return _page(request, s, actor, errors=errors, status=422)
        return RedirectResponse(_back(request, form), status_code=303)

    return run_page(request, body)


@router.get("/appointments/feed", include_in_schema=False)
def feed_page(request: Request) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        return render(
            request,
            "appointments/feed.html",
            {"title": "Calendar feed", "has_feed": calendar_feeds.has_feed(s, actor=actor)},
        )

    return run_page(request, body)


@router.post("/appointments/feed", include_in_schema=False)
def feed_issue(request: Request) -> Any:
    def body(s: Session, actor: Actor) -> Any:
        errors: list[str] = []
        token = attempt(s, errors, lambda: calendar_feeds.issue_feed(s, actor=actor, now=clock_of(request).now()))
        url = f"{base_url(request)}/calendar/{token}.ics" if token else None
        return render(
            request,
            "appointments/feed.html",
            {"title": "Calendar feed", "has_feed": bool(token), "url": url, "errors": errors},
            status_code=200 if token else 403,
        )

    return run_page(request, body)


@router.get("/calendar/{token}.ics", include_in_schema=False)
def feed_ics_view(request: Request, token: str) -> Any:
    clock = clock_of(request)
    try:
        with unit_of_work(request) as s:
            user, settings, items = calendar_feeds.feed(s, token=token, clock=clock)
            data = feed_ics(
                clinic_name=letterhead(s, user.clinic_id).name,
                timezone=settings.timezone,
                host=request.url.hostname or "filiform",
                items=[(a.id, a.starts_at, a.minutes, a.status, name) for a, name in items],
                now=clock.now(),
            )
    except FiliformError:
        return Response("no such calendar feed\n", status_code=404, media_type="text/plain")
    return Response(data, media_type="text/calendar; charset=utf-8", headers={"cache-control": "no-store"})
