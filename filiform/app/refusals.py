"""Responses the security layer sends in place of the application's.

A refused CSRF check, a bearer token that tries to write, or a page whose audit entries the
database refused for contention is answered here, before or instead of the route: in the
shape the caller reads (FHIR OperationOutcome, the API's JSON envelope, plain text or the
clinic's error page), with the security headers every response carries.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from starlette.requests import Request

from filiform.api.fhir_outcome import FHIR_JSON, is_fhir, outcome
from filiform.errors import DatabaseContended

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Send = Callable[[Message], Awaitable[None]]


async def reject(
    scope: Scope,
    send: Send,
    status: int,
    code: str,
    msg: str,
    *,
    headers: Mapping[str, str],
    retry_after: int | None = None,
) -> None:
    """A refusal in the caller's shape; ``headers`` are the security headers."""
    path = scope.get("path", "")
    if is_fhir(path):
        body, ctype = json.dumps(outcome(status, code, msg)).encode(), FHIR_JSON.encode()
    elif path.startswith("/api"):
        body = json.dumps({"ok": False, "error": msg, "code": code, "details": []}).encode()
        ctype = b"application/json"
    else:
        body, ctype = f"{status}: {msg}".encode(), b"text/plain; charset=utf-8"
    hdrs = [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]
    hdrs += [(k.encode(), v.encode()) for k, v in headers.items()]
    if retry_after is not None:
        hdrs.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": hdrs})
    await send({"type": "http.response.body", "body": body})


async def busy(scope: Scope, send: Send, exc: DatabaseContended, *, headers: Mapping[str, str]) -> None:
    """The 503 that replaces a page: the clinic's error page for a browser, else as
    :func:`reject` (API JSON, FHIR OperationOutcome)."""
    path = scope.get("path", "")
    render = getattr(getattr(scope.get("app"), "state", None), "render_error", None)
    if render is None or path.startswith("/api") or is_fhir(path):
        await reject(scope, send, exc.status, exc.code, exc.message, headers=headers, retry_after=1)
        return
    page = render(Request(scope), exc.status, exc.code, exc.message)
    page.headers["Retry-After"] = "1"
    await page(scope, _no_body, send)


async def _no_body() -> Message:
    """The ``receive`` of a response sent in place of a page (a response reads nothing)."""
    return {"type": "http.disconnect"}
