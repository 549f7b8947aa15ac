"""``catalog serve``: the catalog as a web site and a JSON API.

The web is another shell over the library, like the CLI: routes parse the request, call
the same functions the commands call (search, sessions, planning, exporters, check) and
render the result, as HTML (server-side Jinja2 templates, usable without JavaScript) or
as JSON under ``/api/``. No query or business rule lives in a route or a template.

Modules: :mod:`.config` (what ``catalog serve`` was asked for), :mod:`.app` (the FastAPI
application: middleware, error pages, routers), :mod:`.security` (headers, body limits,
CSRF tokens, the edit token), :mod:`.templating`, :mod:`.views` (page data, shared by
the HTML and JSON routes), :mod:`.pages`, :mod:`.api`, :mod:`.edit` (routers),
:mod:`.lint` (``--posts``). FastAPI, Jinja2 and uvicorn are the ``web`` extra; nothing
here is imported by ``catalog --help``.
"""

from __future__ import annotations

from importlib.util import find_spec

__all__ = ["WEB_EXTRA", "missing_dependencies"]

WEB_EXTRA = "web"
# Import names of the web extra's libraries (python-multipart imports as multipart).
_REQUIRED = ("fastapi", "starlette", "jinja2", "uvicorn", "multipart")


def missing_dependencies() -> list[str]:
    """The web libraries that are not installed (without importing any of them)."""
    return [name for name in _REQUIRED if find_spec(name) is None]
