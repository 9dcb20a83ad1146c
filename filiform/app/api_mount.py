"""The REST API behind one prefix test, with the same OpenAPI document.

Why: FastAPI walks the routes of every included router in order, for each request,
once to match and once to handle.  With the API (62 routes) included before the pages,
every page walked all of them before reaching its own: about 15 % of the server's time
on a cached patient page under load.  A :class:`~starlette.routing.Mount` tests
``/api`` once, so a page skips the API entirely, and an API request walks only the API.

The API's routes still run as FastAPI routes (dependencies, ``response_model``, the
app's exception handlers and middleware: a mount is inside them).  A mount is not part
of the OpenAPI document, so :func:`mount_api` builds the document from the same router
included under the same prefix: the published schema is what it was.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.routing import Mount


def mount_api(app: FastAPI, router: APIRouter, prefix: str = "/api") -> None:
    """Serve ``router`` under ``prefix`` through a mount and describe it in ``app.openapi()``."""
    app.router.routes.append(Mount(prefix, app=router))
    described = APIRouter()
    described.include_router(router, prefix=prefix)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                routes=[*app.routes, *described.routes],
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
