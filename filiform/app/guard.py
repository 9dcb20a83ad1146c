"""The outermost layer of the application: limits, client address, headers on everything.

It wraps the whole Starlette stack (outside its error middleware), so:

* the request body is limited **before** anything parses it or looks up a session:
  a ``Content-Length`` over the limit is refused at once (413), a body without one is
  counted as it streams; JSON and form bodies may have :data:`MAX_BODY_BYTES` (1 MiB,
  ``FILIFORM_MAX_BODY_BYTES``), multipart uploads :data:`MAX_UPLOAD_BYTES` (21 MiB: one
  20 MiB attachment plus the form, ``FILIFORM_MAX_UPLOAD_BYTES``); a JSON body nested
  deeper than :data:`MAX_JSON_DEPTH` levels is refused (422) instead of exhausting the
  parser's recursion;
* the client address comes from ``X-Forwarded-For`` only when the connecting peer is a
  proxy named in ``FILIFORM_TRUSTED_PROXIES`` (addresses or networks, comma separated;
  none by default), taking the right-most address that is not itself a trusted proxy;
* every response, 500s and the guard's own refusals included, carries the security
  headers (CSP, frame, sniffing, referrer, permissions, no-store).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.datastructures import Headers, MutableHeaders

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 1 << 20
MAX_UPLOAD_BYTES = 21 << 20
MAX_JSON_DEPTH = 64
PROXIES_ENV = "FILIFORM_TRUSTED_PROXIES"
BODY_ENV = "FILIFORM_MAX_BODY_BYTES"
UPLOAD_ENV = "FILIFORM_MAX_UPLOAD_BYTES"
_JSON_TOKENS = re.compile(rb'["\\\[\]{}]')

log = logging.getLogger("filiform.app")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class BodyTooLarge(Exception):
    pass


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    value = int(raw)
    if value <= 0:
        raise ValueError(f"{name} must be a positive number of bytes")
    return value


def trusted_networks(raw: str | None = None) -> tuple[Network, ...]:
    """``FILIFORM_TRUSTED_PROXIES`` parsed (a malformed entry stops the server)."""
    text = os.environ.get(PROXIES_ENV, "") if raw is None else raw
    nets: list[Network] = []
    for part in (p.strip() for p in text.split(",")):
        if part:
            try:
                nets.append(ipaddress.ip_network(part, strict=False))
            except ValueError as exc:
                raise ValueError(f"{PROXIES_ENV}: '{part}' is not an address or network") from exc
    return tuple(nets)


def check_settings() -> None:
    """Parse every setting the guard reads (raises ValueError naming the variable)."""
    _env_int(BODY_ENV, MAX_BODY_BYTES)
    _env_int(UPLOAD_ENV, MAX_UPLOAD_BYTES)
    trusted_networks()


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether brackets outside strings nest deeper than ``limit`` (no parsing, no recursion)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth, in_string, skip_to = 0, False, -1
    for match in _JSON_TOKENS.finditer(body):
        if match.start() < skip_to:
            continue  # the character after a backslash inside a string
        token = match.group()
        if in_string:
            if token == b"\\":
                skip_to = match.end() + 1
            elif token == b'"':
                in_string = False
            continue
        if token == b'"':
            in_string = True
        elif token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


class OuterGuard:
    """See the module doc; ``headers`` is the security header set added to every response."""

    def __init__(self, app: ASGIApp, *, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = headers
        self.max_body = _env_int(BODY_ENV, MAX_BODY_BYTES)
        self.max_upload = _env_int(UPLOAD_ENV, MAX_UPLOAD_BYTES)
        self.proxies = trusted_networks()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        self._client(scope, headers)
        started = False

        async def send_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                out = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in out:
                        out[name] = value
            await send(message)

        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        limit = self.max_upload if ctype == "multipart/form-data" else self.max_body
        try:
            checked = await self._checked_body(scope, headers, ctype, limit, receive, send_headers)
            if checked is not None:
                await self.app(scope, checked, send_headers)
        except BodyTooLarge:
            if not started:
                await self._refuse(send_headers, 413, "request_too_large", f"the request body exceeds {limit} bytes")
        except Exception:
            if not started:
                log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
                await self._refuse(send_headers, 500, "internal_error", "internal error")
            # else: the application's error handler already answered (and logged) it

    async def _checked_body(
        self, scope: Scope, headers: Headers, ctype: str, limit: int, receive: Receive, send: Send
    ) -> Receive | None:
        """A receive that enforces the limit, or None when the request was refused here."""
        declared = headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            raise BodyTooLarge
        if ctype != "application/json" or scope["method"] in ("GET", "HEAD"):
            return _counting(receive, limit)
        body = await self._read_all(receive, limit)
        if json_too_deep(body):
            await self._refuse(send, 422, "validation_failed", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            return None
        return _replay(body, receive)

    def _client(self, scope: Scope, headers: Headers) -> None:
        peer = (scope.get("client") or ("", 0))[0]
        if not self.proxies or not self._trusted(peer):
            return
        hops = [h.strip() for h in headers.get("x-forwarded-for", "").split(",") if h.strip()]
        for hop in reversed(hops):
            if not self._trusted(hop):
                scope["client"] = (hop[:80], 0)
                break
        proto = headers.get("x-forwarded-proto", "").strip().lower()
        if proto in ("http", "https"):
            scope["scheme"] = proto

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.proxies)

    @staticmethod
    async def _read_all(receive: Receive, limit: int) -> bytes:
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            body.extend(message.get("body", b""))
            if len(body) > limit:
                raise BodyTooLarge
            more = message.get("more_body", False)
        return bytes(body)

    @staticmethod
    async def _refuse(send: Send, status: int, code: str, message: str) -> None:
        body = json.dumps({"ok": False, "error": message, "code": code, "details": []}).encode()
        hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        if status == 413:
            hdrs.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": hdrs})
        await send({"type": "http.response.body", "body": body})


def _replay(body: bytes, receive: Receive) -> Receive:
    done = False

    async def replay() -> Message:
        nonlocal done
        if not done:
            done = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _counting(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def counted() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge
        return message

    return counted
