"""One ASGI middleware for everything a request must pass before any face sees it.

Order per request: security headers are added to every response (the outer guard,
:mod:`filiform.app.guard`, adds them to 500s and its own refusals too); the session cookie
is turned into ``request.state.actor`` (cached per process, :mod:`filiform.services.access.
session_cache`); the CSRF check runs on every unsafe method (so the login form is
protected too); a request touching patient data writes an ``access`` audit row (method and
path: ids only, never a query string or a body).

Reads: a GET or HEAD request runs its units of work as reads
(:func:`filiform.storage.engine.read_requests`); their audit entries, and the ``access``
row, go through the group-commit writer (:mod:`filiform.services.operations.audit_writer`)
and are durable before the response starts.  An unsafe request's ``access`` row is
durable before the endpoint runs, as before.

CSRF: before login it is a double-submit check (cookie :data:`CSRF_COOKIE` equals the
header or form field).  At login the session cookie is bound to that token
(``auth_cookies.bind_cookie``: HMAC with a server key over the session token's hash), so
the token keeps working for API clients that fetched it before logging in; from then on
the expected token comes from the session cookie, not from the CSRF cookie, so a token
issued to another session (or a CSRF cookie planted by a sibling site) is refused.  A
session cookie that is not validly bound is treated as no session and cleared.

Faces talk to it through ``request.state``:

* ``csrf_token`` (read): put it in forms as ``csrf_token`` or send header ``X-CSRF-Token``;
* ``actor`` (read): ``filiform.services.access.context.Actor`` or None;
* ``login_token`` (write): after a successful ``auth_sessions.login`` set it to the token
  and the middleware sets the session cookie; set ``logout = True`` to clear it.

Bearer tokens (SMART Backend Services, :mod:`filiform.services.access.smart`): a request
with ``Authorization: Bearer <token>`` is authenticated by the token alone. Cookies are
ignored and none are set, so there is nothing for a cross-site request to ride on and no
CSRF check applies; ``request.state.bearer`` tells the faces which resource types the
token may read. A token only reads: an unsafe method is refused (403) except under
``/api/fhir/`` (the Bulk Data kick-off and its cancel). The token endpoint itself
(:data:`TOKEN_PATH`) authenticates by a signed assertion in its body, so it needs no CSRF
token either.

It is written as plain ASGI (not BaseHTTPMiddleware) so it can buffer and replay a form
body for the CSRF check without breaking the endpoint's own read.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import timedelta
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request

from filiform.app.refusals import busy, reject
from filiform.app.request_audit import PATIENT_PATH, RequestAudit, access_entry
from filiform.errors import DatabaseContended
from filiform.services.access.auth_cookies import bind_cookie, bound_csrf, csrf_key, session_token
from filiform.services.access.auth_sessions import COOKIE_NAME, cached_actor, lookup
from filiform.services.access.context import Actor
from filiform.services.access.smart import Bearer, bearer
from filiform.services.operations.audit_writer import writer_for
from filiform.storage.engine import read_requests

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSRF_COOKIE = "filiform_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
MAX_FORM_BODY = 20 * 1024 * 1024
TOKEN_PATH = "/api/fhir/auth/token"
BEARER_WRITES = "/api/fhir/"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]", "testserver"})

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
HEADERS = {
    "content-security-policy": CSP,
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "cross-origin-opener-policy": "same-origin",
    "cache-control": "no-store",
}
HSTS = "max-age=63072000; includeSubDomains"


def _cookies(headers: Headers) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(headers.get("cookie", ""))
    except Exception:  # a malformed Cookie header is treated as no cookies
        return {}
    return {k: m.value for k, m in jar.items()}


def _host(headers: Headers) -> str:
    host = headers.get("host", "")
    if host.startswith("["):
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _cookie(name: str, value: str, *, secure: bool, http_only: bool, max_age: int | None) -> str:
    parts = [f"{name}={value}", "Path=/", "SameSite=Lax"]
    if http_only:
        parts.append("HttpOnly")
    if secure:
        parts.append("Secure")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts)


def _decorate(
    out: MutableHeaders,
    state: dict[str, Any],
    *,
    https: bool,
    secure: bool,
    csrf: str | None,
    drop_session: bool,
    key: bytes,
) -> None:
    """Security headers on every response, plus the cookies this request changed."""
    for name, value in HEADERS.items():
        if name not in out:
            out[name] = value
    if https:
        out["strict-transport-security"] = HSTS
    if csrf is not None:
        out.append("set-cookie", _cookie(CSRF_COOKIE, csrf, secure=secure, http_only=False, max_age=None))
    login_token = state.get("login_token")
    if login_token:
        value = bind_cookie(key, login_token, str(state.get("csrf_token", "")))
        out.append("set-cookie", _cookie(COOKIE_NAME, value, secure=secure, http_only=True, max_age=None))
    elif state.get("logout") or drop_session:
        out.append("set-cookie", _cookie(COOKIE_NAME, "", secure=secure, http_only=True, max_age=0))


class SecurityMiddleware:
    """Headers, CSRF, session to actor, patient-data access audit (see module doc)."""

    def __init__(self, app: ASGIApp, *, sessions: sessionmaker[Session], idle: timedelta) -> None:
        self.app = app
        self.sessions = sessions
        self.idle = idle
        bind = sessions.kw.get("bind")
        url = bind.url.render_as_string(hide_password=False) if bind is not None else ""
        # Loaded (or created) when the stack is built, at ASGI lifespan start-up, so a
        # malformed key file stops the server before it serves anything.
        self.csrf_key = csrf_key(url)
        self.inline_cache = bind is not None and bind.dialect.name == "sqlite"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        auth = Headers(scope=scope).get("authorization", "")
        if auth[:7].lower() == "bearer " or scope.get("path") == TOKEN_PATH:
            state: dict[str, Any] = scope.setdefault("state", {})
            await self._bearer_request(scope, receive, send, auth[7:].strip(), scope.get("path", ""), state)
            return
        await self._session_request(scope, receive, send)

    async def _session_request(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A browser (or cookie-carrying API) request: session cookie, CSRF, access audit."""
        headers = Headers(scope=scope)
        cookies = _cookies(headers)
        https = scope.get("scheme") == "https"
        secure = https or _host(headers) not in LOOPBACK
        path: str = scope.get("path", "")
        state: dict[str, Any] = scope.setdefault("state", {})

        csrf = cookies.get(CSRF_COOKIE, "")
        new_csrf = not re.fullmatch(r"[A-Za-z0-9_-]{32,64}", csrf)
        if new_csrf:
            csrf = secrets.token_urlsafe(32)

        cookie = cookies.get(COOKIE_NAME, "")
        actor: Actor | None = None
        client = (scope.get("client") or ("unknown", 0))[0]
        static = path.startswith("/static/")
        bound = bound_csrf(self.csrf_key, cookie) if cookie and not static else None
        if bound is not None:
            actor = await self._actor(session_token(cookie), client)
        if actor is not None and bound is not None:
            set_csrf = csrf != bound  # the session's token wins over whatever cookie came
            csrf, no_token = bound, False
        else:
            set_csrf, no_token = new_csrf, new_csrf
        state["csrf_token"] = csrf

        if scope["method"] not in SAFE_METHODS:
            ok, receive = await self._csrf_ok(scope, receive, headers, csrf, no_token)
            if not ok:
                await self._reject(
                    scope, send, 403, "csrf_failed", "missing or wrong CSRF token: reload the page and try again"
                )
                return

        reading = scope["method"] in ("GET", "HEAD")
        sink = RequestAudit(self.sessions)
        if actor is not None and PATIENT_PATH.match(path):
            entry = access_entry(actor, scope["method"], path)
            if reading:
                sink.hold(entry)  # written with the request's own reads, before the response
            else:
                await writer_for(self.sessions).write_async([entry])  # waits without a pool thread
        state["actor"] = actor
        drop_session = bool(cookie) and actor is None and not static

        def decorate(message: Message) -> None:
            _decorate(
                MutableHeaders(scope=message),
                state,
                https=https,
                secure=secure,
                csrf=csrf if set_csrf else None,
                drop_session=drop_session,
                key=self.csrf_key,
            )

        send_wrapper = self._audited_sender(scope, send, sink, decorate)
        try:
            if reading:
                with read_requests(sink):
                    await self.app(scope, receive, send_wrapper)
            else:
                await self.app(scope, receive, send_wrapper)
        finally:
            await sink.flush()  # an error response sent from outside still has its access row

    def _audited_sender(
        self, scope: Scope, send: Send, sink: RequestAudit, decorate: Callable[[Message], None]
    ) -> Send:
        """``send`` that first makes the request's audit entries durable (no data leaves
        without them); when the database refuses them for contention the page is replaced
        by a 503 "nothing was saved" and the page's own messages are dropped."""
        refused = False

        async def send_wrapper(message: Message) -> None:
            nonlocal refused
            if refused:
                return
            if message["type"] == "http.response.start":
                try:
                    await sink.flush()
                except DatabaseContended as exc:
                    refused = True
                    await busy(scope, send, exc, headers=HEADERS)
                    return
                decorate(message)
            await send(message)

        return send_wrapper

    async def _bearer_request(
        self, scope: Scope, receive: Receive, send: Send, token: str, path: str, state: dict[str, Any]
    ) -> None:
        """A token-authenticated request (or the token endpoint): no cookies, no CSRF."""
        client = (scope.get("client") or ("unknown", 0))[0]
        found: Bearer | None = None
        if token:
            found = await run_in_threadpool(self._bearer, token, client)
        if found is not None and scope["method"] not in SAFE_METHODS and not path.startswith(BEARER_WRITES):
            await self._reject(scope, send, 403, "permission_denied", "a bearer token may only read")
            return
        state["actor"] = found.actor if found is not None else None
        state["bearer"] = found
        state["csrf_token"] = ""
        sink = RequestAudit(self.sessions)
        if found is not None and PATIENT_PATH.match(path):
            entry = access_entry(found.actor, scope["method"], path)
            if scope["method"] in ("GET", "HEAD"):
                sink.hold(entry)
            else:
                await writer_for(self.sessions).write_async([entry])  # waits without a pool thread

        async def send_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                await sink.flush()
                out = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in out:
                        out[name] = value
                if scope.get("scheme") == "https":
                    out["strict-transport-security"] = HSTS
            await send(message)

        try:
            if scope["method"] in ("GET", "HEAD"):
                with read_requests(sink):
                    await self.app(scope, receive, send_headers)
            else:
                await self.app(scope, receive, send_headers)
        finally:
            await sink.flush()

    def _bearer(self, token: str, client: str) -> Bearer | None:
        with self.sessions() as session:
            return bearer(session, token, client)

    async def _actor(self, token: str, client: str) -> Actor | None:
        """SQLite: a cached session costs one local primary-key read, cheaper than a hop to
        the thread pool; anything else (a miss, PostgreSQL) goes there."""
        if self.inline_cache:
            found = cached_actor(self.sessions, token=token, client=client, idle=self.idle)
            if found is not None:
                return found
        return await run_in_threadpool(self._lookup, token, client)

    def _lookup(self, token: str, client: str) -> Actor | None:
        """Session lookup: a plain read on the common path.

        Why: on SQLite every write transaction serialises behind the single writer, so a
        request that touches no patient data must not take the write lock just to be
        recognised (see lookup()); the access row is written separately, and only after
        the CSRF check, so a forged request leaves no access row claiming it ran.
        """
        return lookup(self.sessions, token=token, client=client, idle=self.idle)

    async def _csrf_ok(
        self, scope: Scope, receive: Receive, headers: Headers, csrf: str, new_csrf: bool
    ) -> tuple[bool, Receive]:
        if new_csrf:
            return False, receive  # no cookie: nothing to compare against
        sent = headers.get(CSRF_HEADER)
        if sent is not None:
            return hmac.compare_digest(sent.encode(), csrf.encode()), receive
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return False, receive
        body = bytearray()
        more = True
        while more:
            message = await receive()
            body.extend(message.get("body", b""))
            more = message.get("more_body", False)
            if len(body) > MAX_FORM_BODY:
                return False, receive
        done = False

        async def replay() -> Message:
            nonlocal done
            if not done:
                done = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        if ctype == "application/x-www-form-urlencoded":
            values = parse_qs(body.decode("latin-1")).get(CSRF_FIELD, [])
            sent = values[0] if values else ""
        else:
            try:
                form = await Request(dict(scope), replay).form()
                field = form.get(CSRF_FIELD)
                sent = field if isinstance(field, str) else ""
                await form.close()
            except Exception:  # unparsable multipart: refuse like a missing token
                return False, receive
            done = False
        return hmac.compare_digest(sent.encode(), csrf.encode()), replay

    async def _reject(self, scope: Scope, send: Send, status: int, code: str, msg: str) -> None:
        await reject(scope, send, status, code, msg, headers=HEADERS)
