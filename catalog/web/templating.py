"""Jinja2 templates from the package, autoescaped always, and the helpers they use."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from catalog.web.security import CSRF_COOKIE, csrf_cookie_value, csrf_token
from catalog.web.views import (
    identifier_links,
    item_label,
    paper_ref,
    paper_year,
    safe_href,
    venue_line,
)

__all__ = ["render"]


def _short_url(url: str | None) -> str:
    """A slides link is shown by its file name."""
    if not url:
        return ""
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return tail or url


def _authors(names: list[str], limit: int = 0) -> str:
    if limit and len(names) > limit:
        return ", ".join(names[:limit]) + " et al."
    return ", ".join(names)


def _code_spans(text: str) -> Markup:
    """Docstring text with `code` spans: escaped, the spans in <code>."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: plain text
        return escape(text)
    return Markup("").join(
        Markup("<code>%s</code>") % part if i % 2 else escape(part) for i, part in enumerate(parts)
    )


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("catalog.web", "templates"),
        # Every template, whatever its name: titles and abstracts hold "<", "&", and a
        # post may hold "<script>".
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        href=safe_href,
        ref=paper_ref,
        year=paper_year,
        ids=identifier_links,
        venue=venue_line,
        item=item_label,
        short_url=_short_url,
        authors=_authors,
        urlpart=lambda value: quote(str(value), safe=""),
        code_spans=_code_spans,
    )
    env.globals["urlencode"] = urlencode
    return env


def render(
    request: Request, name: str, context: dict[str, Any], *, status_code: int = 200
) -> HTMLResponse:
    """The template ``name`` as an HTML response. Every page gets what the base layout
    needs: whether editing is on, and this browser's CSRF token for its forms."""
    config = request.app.state.config
    cookie, new = csrf_cookie_value(request)
    values = {
        "request": request,
        "edit": config.edit,
        "posts": bool(config.posts),
        "csrf_token": csrf_token(config.secret, cookie),
        **context,
    }
    html = environment().get_template(name).render(values)
    response = HTMLResponse(html, status_code=status_code)
    if new:
        secure = request.url.scheme == "https"  # behind a TLS proxy: never sent in clear
        response.set_cookie(
            CSRF_COOKIE, cookie, httponly=True, samesite="strict", secure=secure, path="/"
        )
    return response
