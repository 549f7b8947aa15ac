"""The FastAPI application: the catalog opened once, the routers, error pages.

Each request gets the open catalog through the :func:`get_catalog` dependency (as click
commands get ``ctx.obj``). Domain errors become pages or JSON here, once: a route never
catches what the library raises. Under ``/api/`` an error is JSON
``{"status": 404, "detail": "no paper 'x' in the catalog; did you mean ...?"}``;
elsewhere it is an HTML page saying the same.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.staticfiles import StaticFiles

from catalog import __version__
from catalog.errors import ArxivUnavailable, CatalogError, NotFound
from catalog.store.catalog import Catalog
from catalog.web.config import ServeConfig
from catalog.web.security import SecurityMiddleware

__all__ = ["create_app", "get_catalog"]

log = logging.getLogger("catalog.web")


def get_catalog(request: Request) -> Catalog:
    """The catalog the server was started on (a FastAPI dependency)."""
    catalog: Catalog = request.app.state.catalog
    return catalog


def create_app(config: ServeConfig, catalog: Catalog | None = None) -> FastAPI:
    """The web application over ``catalog`` (opened from ``config.db_url`` if not
    given, and then closed when the application stops)."""
    owned = catalog is None
    if catalog is None:
        catalog = Catalog.open(config.db_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if owned:
            catalog.close()

    app = FastAPI(
        title="catalog",
        version=__version__,
        description="The reading group's papers, sessions and presenters.",
        # The API's documentation is our own page (catalog.web.api.docs): FastAPI's loads
        # Swagger UI from a CDN, which neither works offline nor passes our CSP.
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.config = config
    app.state.catalog = catalog
    if config.posts:
        from catalog.web.lint import PostsLinter

        app.state.linter = PostsLinter(config.posts, catalog)
    else:
        app.state.linter = None

    app.add_middleware(
        SecurityMiddleware, max_body=config.max_body, allowed_hosts=config.allowed_hosts
    )
    _add_error_handlers(app)

    from catalog.web import api, pages

    app.include_router(api.router)
    if config.edit:  # without --edit, no edit route exists at all
        from catalog.web import edit

        # Before the pages: /sessions/new is a form, not a session called "new".
        app.include_router(edit.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(packages=[("catalog.web", "static")]), name="static")
    return app


# -- errors ----------------------------------------------------------------------------------


def _status_of(exc: CatalogError) -> int:
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, ArxivUnavailable):
        return 503
    return 400


def error_response(request: Request, status: int, detail: str) -> Response:
    """JSON under /api/, an HTML page elsewhere; the same message in both."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"status": status, "detail": detail}, status_code=status)
    from catalog.web.templating import render

    return render(request, "error.html", {"status": status, "detail": detail}, status_code=status)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _add_error_handlers(app: FastAPI) -> None:
    async def catalog_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, CatalogError)
        return error_response(request, _status_of(exc), _one_line(str(exc)))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no page {request.url.path}"
        response = error_response(request, exc.status_code, detail)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return error_response(request, 422, _validation_message(exc.errors()))

    async def unexpected(request: Request, exc: Exception) -> Response:
        # Database and programming errors: the details go to the server's log, never to
        # the page (they can name the database, its host or its user).
        from sqlalchemy.exc import SQLAlchemyError

        if isinstance(exc, SQLAlchemyError):
            log.error("database error on %s: %s", request.url.path, _one_line(str(exc)))
            return error_response(request, 500, "database error; see the server's log")
        log.exception("error on %s", request.url.path)
        return error_response(request, 500, "internal error; see the server's log")

    app.add_exception_handler(CatalogError, catalog_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)


def _validation_message(errors: Any) -> str:
    """``bad query parameter 'page': Input should be greater than or equal to 1``."""
    parts = []
    for error in errors:
        where = [str(x) for x in error.get("loc", ()) if x not in ("query", "path", "body")]
        kind = error.get("loc", ("",))[0]
        noun = {"query": "query parameter", "path": "path part", "body": "form field"}.get(
            kind, "input"
        )
        parts.append(f"bad {noun} {'.'.join(where)!r}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "bad request"
