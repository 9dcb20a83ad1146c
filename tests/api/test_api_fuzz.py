"""Schemathesis fuzzes the OpenAPI schema in-process, logged in: no input may cause a 5xx.

Each operation gets a few generated cases (both schema-valid and -invalid) sent with the
clinician's session cookie and CSRF token, so requests reach the endpoints' code rather
than stopping at the 401/403 gates.
"""

from __future__ import annotations

from collections.abc import Callable

import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from filiform.services.access.auth_sessions import COOKIE_NAME

EXCLUDED = (
    "/api/auth/logout",
    "/api/auth/totp",
    "/api/auth/totp/confirm",
    "/api/auth/totp/disable",
    "/api/auth/password",
    "/api/auth/login",
)
MAX_EXAMPLES = 12


def test_no_server_errors(app: FastAPI, client_for: Callable[[str], TestClient]) -> None:
    client = client_for("clinician_a")
    headers = {
        "Cookie": f"{COOKIE_NAME}={client.cookies.get(COOKIE_NAME)}; "
        f"filiform_csrf={client.cookies.get('filiform_csrf')}",
        "X-CSRF-Token": client.headers["X-CSRF-Token"],
    }
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    statuses: dict[int, int] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in EXCLUDED:
            continue
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}")

        check()
    assert operations >= 30
    assert sum(n for s, n in statuses.items() if s < 300) >= 20, statuses  # really logged in
    assert not failures, "\n".join(failures[:20])
