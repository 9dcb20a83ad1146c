"""Build the one web application: REST API under /api, HTML pages, static files.

``create_app`` opens (and migrates) the database, includes the API and the web face
(pages, static files, its error pages), installs :class:`~filiform.app.security.SecurityMiddleware` and maps every
error to a response: JSON ``{"ok": false, "error", "code", "details"}`` under ``/api``,
a plain page elsewhere (or the web face's ``render_error(request, status, code, message)``
when it provides one).  Nothing unexpected leaks: an unhandled exception is a generic 500.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from filiform import __version__, web
from filiform.api import router as api_router
from filiform.api.fhir_outcome import FHIR_JSON, is_fhir, outcome
from filiform.app.api_mount import mount_api
from filiform.app.guard import OuterGuard, check_settings
from filiform.app.security import HEADERS, SecurityMiddleware
from filiform.app.warmup import warm_up
from filiform.errors import DatabaseContended, FiliformError
from filiform.services.access.auth_sessions import idle_timeout
from filiform.services.access.login_throttle import LoginThrottle
from filiform.services.operations import checkpoint, db_check, server_lock
from filiform.storage.engine import make_engine, session_factory
from filiform.storage.migrate import upgrade
from filiform.storage.settings import database_url as resolve_url

log = logging.getLogger("filiform.app")


def _location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "request"


def validation_details(exc: RequestValidationError) -> list[str]:
    """One readable line per problem, never echoing the submitted value."""
    return [f"{_location(tuple(e.get('loc', ())))}: {e.get('msg', 'invalid')}" for e in exc.errors()]


def _error_response(
    request: Request, status: int, code: str, message: str, details: list[str], headers: dict[str, str] | None = None
) -> Response:
    if is_fhir(request.url.path):
        return JSONResponse(
            outcome(status, code, message, details), status_code=status, headers=headers, media_type=FHIR_JSON
        )
    if request.url.path.startswith("/api") or request.url.path == "/openapi.json":
        return JSONResponse(
            {"ok": False, "error": message, "code": code, "details": details}, status_code=status, headers=headers
        )
    render = getattr(request.app.state, "render_error", None)
    if render is not None:
        rendered: Response = render(request, status, code, message)
        rendered.headers.update(headers or {})
        return rendered
    text = f"{status}: {message}" + "".join(f"\n  - {d}" for d in details)
    return PlainTextResponse(text, status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    async def filiform_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, FiliformError)
        status = exc.status if 400 <= exc.status < 600 else 500
        if isinstance(exc, DatabaseContended):  # rolled back whole: the same request may be sent again
            headers = {"Retry-After": "1"}
            return _error_response(request, status, exc.code, exc.message, exc.details, headers=headers)
        if status >= 500:
            log.error("server-side error %s on %s", exc.code, request.url.path)
        return _error_response(request, status, exc.code, exc.message, exc.details)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return _error_response(request, 422, "validation_failed", "invalid request", validation_details(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = {
            404: "not_found",
            405: "method_not_allowed",
            401: "not_authenticated",
            403: "permission_denied",
            429: "too_many_requests",
        }.get(exc.status_code, "http_error")
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        return _error_response(request, exc.status_code, code, message, [], headers=dict(exc.headers or {}))

    async def unexpected(request: Request, exc: Exception) -> Response:
        if isinstance(exc, FiliformError):  # raised in a middleware (session lookup, access audit)
            return await filiform_error(request, exc)
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return _error_response(request, 500, "internal_error", "internal error", [])

    app.add_exception_handler(FiliformError, filiform_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


def create_app(
    database_url: str | None = None,
    *,
    idle: timedelta | None = None,
    throttle: LoginThrottle | None = None,
) -> FastAPI:
    """The application on ``database_url`` (else ``FILIFORM_DATABASE_URL``/./var)."""
    url = resolve_url(database_url)
    engine = make_engine(url)
    db_check.startup_check(engine)  # a damaged or foreign file stops here, with a clear message
    lease = server_lock.hold_for_application(url, engine)  # restore refuses while this is held
    upgrade(engine)  # idempotent: creates an empty database, migrates an old one
    app = FastAPI(title="Filiform", version=__version__, docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.login_throttle = throttle or LoginThrottle()
    app.state.idle = idle or idle_timeout()
    app.state.database_url = url
    app.state.lease = lease
    mount_api(app, api_router)  # pages do not walk the API's routes

    app.include_router(web.router)
    app.mount("/static", StaticFiles(directory=str(web.STATIC_DIR)), name="static")
    app.state.render_error = web.render_error

    install_error_handlers(app)
    app.add_middleware(SecurityMiddleware, sessions=app.state.sessions, idle=app.state.idle)
    install_guard(app)
    checkpoint.write_now(engine)  # anchor the audit chain at start-up, then periodically
    checkpoint.schedule(engine)
    warm_up(app)  # knowledge base and engines now, not on the first request
    return app


def install_guard(app: FastAPI) -> None:
    """Wrap the whole stack, error middleware included, in :class:`OuterGuard`."""
    build = app.build_middleware_stack
    check_settings()  # malformed limits or proxies stop the server here, not at the first request

    def wrapped() -> Any:
        return OuterGuard(build(), headers=HEADERS)

    app.build_middleware_stack = wrapped  # type: ignore[method-assign]
