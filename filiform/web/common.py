"""Shared plumbing of the web pages: templates, the database unit of work, the actor.

Pages are plain server-rendered HTML. Every request runs its service calls in one
transaction (reads are audited, so even a GET writes). A failed write is rolled back to a
savepoint so the audit rows of the reads around it still commit, and the page is shown
again with the error's message and details.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import anyio
import anyio.to_thread
from fastapi import Request
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from filiform.core.concepts.clock import local_date, show, to_utc
from filiform.errors import FiliformError
from filiform.services.access.auth_sessions import TOUCH_EVERY, idle_timeout
from filiform.services.access.context import Actor, Perm
from filiform.services.access.names import display_name
from filiform.services.records.clinic_settings import server_timezone
from filiform.services.records.needling_status import needling_status
from filiform.storage.engine import make_engine, session_factory, transaction, writing_request
from filiform.storage.models import ClinicSettings

TEMPLATE_DIR = Path(__file__).with_name("templates")
templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
# Templates ship inside the package and change only with it: no stat of every template
# file on every page to see whether it changed since it was compiled.
templates.env.auto_reload = False
# A stored instant on the clinic's clock: {{ moment|clinic_time(zone, "%d %b %Y, %H:%M") }}
templates.env.filters["clinic_time"] = lambda moment, zone, fmt="%Y-%m-%d %H:%M": show(moment, zone, fmt)
T = TypeVar("T")


def _local(moment: datetime | None, tz: str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC instant on the clinic's clock (``{{ s.started_at|local(tz) }}``)."""
    if moment is None:
        return ""
    return show(moment, tz or "UTC", fmt)


templates.env.filters["local"] = _local


def counted(names: Iterable[str]) -> str:
    """Names in the order first seen, a repeated one once with its count: a session of
    four needles in soleus and one in gastrocnemius reads "soleus ×4, gastrocnemius",
    not the same word four times over."""
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(name if n == 1 else f"{name} ×{n}" for name, n in counts.items())


templates.env.filters["counted"] = counted


def plural(n: int, word: str, words: str | None = None) -> str:
    """A count with its noun: "1 region", "2 regions" (``{{ n|plural("region") }}``;
    ``words`` for a plural that is not ``word`` + "s").  The staff pages are in English;
    the patient portal's pages go through the message catalogue instead."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


templates.env.filters["plural"] = plural


def clinic_zone(session: Session, actor: Actor) -> str:
    """The actor's clinic's IANA time zone (pages show and take times in it).

    Read only: a clinic without its settings row yet reads the zone the row would get
    (the server's), so a GET page never writes.
    """
    row = session.get(ClinicSettings, actor.clinic_id)
    return row.timezone if row is not None else server_timezone()


def clinic_today(session: Session, actor: Actor) -> date:
    """Today on the clinic's calendar (a form's default date, the limit for "not in the future")."""
    return local_date(datetime.now(UTC), clinic_zone(session, actor))


def instant_from_form(text: str, tz: str) -> str:
    """A ``datetime-local`` field, typed on the clinic's clock, as the UTC instant services take.

    Text that is not a date and time is passed on unchanged, so the one validator of the
    record says what is wrong with it; a time the clocks skip is refused by ``to_utc``.
    """
    try:
        typed = datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    return to_utc(typed, tz).isoformat() if typed.tzinfo is None else text


def _factory(request: Request) -> sessionmaker[Session]:
    """The app's session factory (``app.state.sessions``), else one built from its engine.

    ``filiform.app.factory`` sets ``sessions``; a bare app may give only ``database_url``.
    """
    state = request.app.state
    factory = getattr(state, "sessions", None)
    if factory is None:
        engine = getattr(state, "engine", None) or make_engine(getattr(state, "database_url", None))
        factory = session_factory(engine)
        state.sessions = factory
    return factory


@contextmanager
def unit_of_work(request: Request) -> Iterator[Session]:
    """One durable transaction for the request."""
    with transaction(_factory(request)) as session:
        yield session


@contextmanager
def writing_unit_of_work(request: Request) -> Iterator[Session]:
    """One durable write transaction, even for a GET: for pages that write by design."""
    with writing_request(), transaction(_factory(request)) as session:
        yield session


def attempt(session: Session, errors: list[str], action: Callable[[], T]) -> T | None:
    """Run one write in a savepoint; on a domain error collect its messages and return None."""
    try:
        with session.begin_nested():
            return action()
    except FiliformError as exc:
        if not (exc.details and exc.message.startswith("invalid ")):  # "invalid outcome details" says nothing
            errors.append(exc.message)
        errors.extend(exc.details)
        return None


def actor_or_none(request: Request) -> Actor | None:
    actor = getattr(request.state, "actor", None)
    return actor if isinstance(actor, Actor) else None


class LoginRequired(Exception):
    """No live session: pages answer with a redirect to the login page."""


def require_actor(request: Request) -> Actor:
    actor = actor_or_none(request)
    if actor is None:
        raise LoginRequired
    return actor


def login_redirect(request: Request) -> RedirectResponse:
    """To the login page, coming back to this page afterwards.

    A form posted after the session ended comes back to the form (its GET page, same path
    and query), where the draft saved while typing is restored; the login page says why.
    """
    target = request.url.path
    if request.url.query:
        target += f"?{request.url.query}"
    reason = "" if request.method == "GET" else "&reason=expired"
    return RedirectResponse(f"/login?next={quote(target)}{reason}", status_code=303)


def csrf_token(request: Request) -> str:
    return str(getattr(request.state, "csrf_token", "") or "")


def _needling(request: Request, actor: Actor | None, ctx: dict[str, Any]) -> Any:
    """The patient header's needling decision, for pages that show a patient and did not read it."""
    patient, db = ctx.get("patient"), getattr(request.state, "db_session", None)
    if "needling" in ctx or patient is None or db is None or actor is None or not actor.can(Perm.READ_CLINICAL):
        return ctx.get("needling")
    try:
        return needling_status(db, actor=actor, patient_id=patient.id)
    except (FiliformError, SQLAlchemyError):
        return None


def idle_seconds(request: Request) -> tuple[int, int]:
    """The idle log-off time and how much earlier the server may end a session (seconds).

    Why the second number: the server refreshes a session's last-seen time at most once per
    ``TOUCH_EVERY`` (or a quarter of the idle time), so a session can end up to that much
    before "last request + idle"; the page's warning counts from the earlier moment.
    """
    idle = getattr(request.app.state, "idle", None)
    idle = idle if isinstance(idle, timedelta) else idle_timeout()
    slack = min(TOUCH_EVERY, idle / 4)
    return int(idle.total_seconds()), int(slack.total_seconds())


def render(request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200) -> Any:
    """A page with the layout's common values (actor and name, permissions, CSRF token, idle
    time, and for a patient's page the header's needling decision)."""
    actor = actor_or_none(request)
    idle, slack = idle_seconds(request)
    ctx: dict[str, Any] = {
        "actor": actor,
        "user_name": getattr(request.state, "user_name", None) or (actor.role.value.replace("_", " ") if actor else ""),
        "perms": {p.value for p in Perm if actor is not None and actor.can(p)},
        "csrf_token": csrf_token(request),
        "idle_seconds": idle,
        "idle_slack": slack,
        "errors": [],
        **(context or {}),
    }
    ctx["needling"] = _needling(request, actor, ctx)
    return templates.TemplateResponse(request, name, ctx, status_code=status_code)


def error_page(request: Request, exc: FiliformError) -> Any:
    """A domain error as a page with the right status (404, 403, 409...)."""
    return render(
        request,
        "error.html",
        {"title": "Not possible", "message": exc.message, "details": exc.details},
        status_code=exc.status,
    )


def form_int(value: Any, default: int | None = None) -> int | None:
    """A whole number from a form field for navigation (ids, counts), else ``default``.

    Record values are not read this way: they go to their concept with ``lax=True``.
    """
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


PAGE_BUILDS = 2
"""Patient pages built at once (the others wait on the event loop, holding no thread).

Why: one process runs Python on one core at a time; eight builds side by side took turns
on the interpreter and together built fewer pages per second than one at a time (0.78 to
1.01 times as many in our runs of eight clients against one; 1.14 to 1.15 times with this
bound: docs/records.md).  Two, so one large record does not hold up the rest."""
_BUILD_LIMITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


async def build_page(request: Request, body: Callable[[Session, Actor], Any]) -> Any:
    """:func:`run_page` in a worker thread, at most :data:`PAGE_BUILDS` at once."""
    loop = asyncio.get_running_loop()
    limiter = _BUILD_LIMITERS.get(loop)
    if limiter is None:  # one per event loop (a test client runs several)
        limiter = _BUILD_LIMITERS[loop] = anyio.CapacityLimiter(PAGE_BUILDS)
    return await anyio.to_thread.run_sync(run_page, request, body, limiter=limiter)


def reads_inline(request: Request) -> bool:
    """May a page answer a read from its caches on the event loop?  SQLite only: a local
    file read takes microseconds, while a PostgreSQL round trip would hold every other
    request of the loop for its duration."""
    factory = _factory(request)
    bind = factory.kw.get("bind")
    return bind is not None and bind.dialect.name == "sqlite"


def run_page(request: Request, body: Callable[[Session, Actor], Any]) -> Any:
    """Log-in check, one transaction, and domain errors shown as an error page."""
    actor = actor_or_none(request)
    if actor is None:
        return login_redirect(request)
    try:
        with unit_of_work(request) as session:
            request.state.user_name = display_name(session, actor)
            request.state.db_session = session  # for the patient header's status (render)
            try:
                return body(session, actor)
            finally:
                request.state.db_session = None
    except FiliformError as exc:
        return error_page(request, exc)


def render_error(request: Request, status: int, code: str, message: str) -> Any:
    """The app factory's hook for errors raised outside a page (404 route, CSRF, 500)."""
    titles = {404: "Page not found", 403: "Not allowed", 401: "Please sign in", 503: "Busy: nothing was saved"}
    return render(
        request,
        "error.html",
        {"title": titles.get(status, "Something went wrong"), "message": message, "details": [], "code": code},
        status_code=status,
    )
