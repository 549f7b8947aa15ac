"""Planning through forms (``catalog serve --edit`` only: without it this router is not
mounted and none of its routes exists).

Every POST carries the page's CSRF token and, when the server has a token, the editor's
token cookie; each change is one call of the library function the CLI calls (one
transaction): :func:`catalog.store.planning.create_session`, :func:`catalog.add.
add_papers` (fetching as ``catalog add`` does), ``add_talk``, ``move_talk``,
``remove_talk``, ``rename_presenter``. After a change the browser is sent to the page
that shows it (303, so reloading does not post again); a refused change shows the form's
page again with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from starlette.datastructures import FormData
from starlette.responses import HTMLResponse, RedirectResponse, Response

from catalog.errors import CatalogError, NotFound
from catalog.store.catalog import Catalog
from catalog.web.app import get_catalog
from catalog.web.security import TOKEN_COOKIE, has_edit_token, valid_csrf
from catalog.web.templating import render

__all__ = ["router"]

_MAX_FIELD = 4000  # characters in one form field
_MAX_IDS = 50  # papers added by one form


def _editor(request: Request) -> None:
    """The request may edit: the server's token, if it has one, came with it."""
    if not has_edit_token(request.app.state.config.token, request):
        if request.method == "GET":
            target = quote(request.url.path, safe="/")
            raise HTTPException(303, "log in first", headers={"location": f"/login?next={target}"})
        raise HTTPException(403, "editing needs the server's token: log in at /login first")


async def _checked_form(request: Request) -> FormData:
    """The POSTed form, once its CSRF token is checked (403 otherwise)."""
    form = await request.form(max_files=0, max_fields=20, max_part_size=_MAX_FIELD * 4)
    if not valid_csrf(request.app.state.config.secret, request, form):
        raise HTTPException(
            403, "the form's CSRF token is missing or wrong: reload the page and try again"
        )
    for value in form.values():
        if isinstance(value, str) and len(value) > _MAX_FIELD:
            raise HTTPException(413, f"a form field is longer than {_MAX_FIELD} characters")
    return form


router = APIRouter(include_in_schema=False)
editor = APIRouter(include_in_schema=False, dependencies=[Depends(_editor)])
CatalogDep = Annotated[Catalog, Depends(get_catalog)]
Form = Annotated[FormData, Depends(_checked_form)]
SlugPath = Annotated[str, Path(max_length=200)]


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return " ".join(value.split()) if isinstance(value, str) else ""


def _list(form: FormData, name: str) -> list[str]:
    """A field of comma- or space-separated values."""
    return [v for v in _field(form, name).replace(",", " ").split() if v]


def _see(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


def _status(exc: CatalogError) -> int:
    return 404 if isinstance(exc, NotFound) else 400


def _on_session_page(
    request: Request, catalog: Catalog, slug: str, change: Callable[[], Any]
) -> Response:
    """Run ``change``; then show the session, or, if refused, show it with the reason."""
    try:
        change()
    except CatalogError as exc:
        from catalog.store.planning import get_session

        try:
            view = get_session(catalog, slug)
        except NotFound:
            raise exc from None
        context = {"session": view, "error": " ".join(str(exc).split())}
        return render(request, "session.html", context, status_code=_status(exc))
    return _see(f"/sessions/{quote(slug, safe='')}#talks")


# -- sessions ------------------------------------------------------------------------------


@editor.get("/sessions/new", response_class=HTMLResponse)
def new_session_form(request: Request) -> Response:
    return render(request, "session_new.html", {"error": None, "values": {}})


@editor.post("/sessions/new")
def new_session(request: Request, catalog: CatalogDep, form: Form) -> Response:
    from catalog.store.planning import create_session

    slug = _field(form, "slug")
    values = {k: _field(form, k) for k in ("slug", "title", "date", "desc", "term", "tags")}
    values["categories"] = _field(form, "categories")
    try:
        day = date.fromisoformat(values["date"]) if values["date"] else None
    except ValueError:
        error = f"{values['date']!r} is not a date: use YYYY-MM-DD"
        return render(
            request, "session_new.html", {"error": error, "values": values}, status_code=400
        )
    try:
        create_session(
            catalog,
            slug,
            values["title"],
            day=day,
            desc=values["desc"] or None,
            term=values["term"] or None,
            categories=_list(form, "categories"),
            tags=_list(form, "tags"),
        )
    except CatalogError as exc:
        context = {"error": " ".join(str(exc).split()), "values": values}
        return render(request, "session_new.html", context, status_code=_status(exc))
    return _see(f"/sessions/{quote(slug, safe='')}")


@editor.post("/sessions/{slug}/talks")
def add_talks(request: Request, catalog: CatalogDep, slug: SlugPath, form: Form) -> Response:
    """Papers by any identifier ``catalog add`` takes (fetched as it fetches them),
    one talk each or one together; no ids and a title: a talk without a paper."""
    from catalog.add import add_papers
    from catalog.store.planning import add_talk

    ids = _list(form, "ids")
    presenter = _field(form, "presenter") or None
    slides = _field(form, "slides") or None
    title = _field(form, "title") or None
    together = form.get("together") == "on"

    def change() -> None:
        if len(ids) > _MAX_IDS:
            raise CatalogError(f"at most {_MAX_IDS} papers at once, not {len(ids)}")
        if not ids:
            if not title:
                raise CatalogError("give paper ids, or a title for a talk without a paper")
            add_talk(catalog, slug, [], presenter=presenter, slides=slides, title=title)
            return
        result = add_papers(
            catalog, ids, session=slug, presenter=presenter, slides=slides, together=together
        )
        if result.problems:
            failed = "; ".join(f"{i}: {why}" for i, why in result.problems)
            raise CatalogError(f"{failed}; no talk added")

    return _on_session_page(request, catalog, slug, change)


def _row(form: FormData, name: str) -> int:
    try:
        return int(_field(form, name))
    except ValueError:
        raise CatalogError(f"{name} must be a row number, not {_field(form, name)!r}") from None


@editor.post("/sessions/{slug}/talks/{position}/move")
def move(
    request: Request,
    catalog: CatalogDep,
    slug: SlugPath,
    position: Annotated[int, Path(ge=1, le=10_000)],
    form: Form,
) -> Response:
    from catalog.store.planning import move_talk

    return _on_session_page(
        request, catalog, slug, lambda: move_talk(catalog, slug, f"#{position}", _row(form, "to"))
    )


@editor.post("/sessions/{slug}/talks/{position}/remove")
def remove(
    request: Request,
    catalog: CatalogDep,
    slug: SlugPath,
    position: Annotated[int, Path(ge=1, le=10_000)],
    form: Form,
) -> Response:
    from catalog.store.planning import remove_talk

    return _on_session_page(
        request, catalog, slug, lambda: remove_talk(catalog, slug, f"#{position}")
    )


# -- presenters ----------------------------------------------------------------------------


@editor.post("/presenters/{name}/rename")
def rename(request: Request, catalog: CatalogDep, name: SlugPath, form: Form) -> Response:
    from catalog.store.planning import presenter_detail, rename_presenter

    try:
        result = rename_presenter(catalog, name, _field(form, "new"))
    except CatalogError as exc:
        if isinstance(exc, NotFound):
            raise
        context = {"presenter": presenter_detail(catalog, name), "error": str(exc)}
        return render(request, "presenter.html", context, status_code=_status(exc))
    return _see(f"/presenters/{quote(result.new, safe='')}")


# -- the editor's token ----------------------------------------------------------------------


def _next(value: str) -> str:
    """Where to go after logging in: a path on this server only."""
    return value if value.startswith("/") and not value.startswith("//") else "/"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> Response:  # noqa: A002
    return render(request, "login.html", {"next": _next(next), "error": None})


@router.post("/login")
def login(request: Request, form: Form) -> Response:
    import hmac

    token = request.app.state.config.token
    given = form.get("token")
    target = _next(_field(form, "next"))
    if token is None:
        return _see(target)
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), token.encode()):
        context = {"next": target, "error": "wrong token"}
        return render(request, "login.html", context, status_code=403)
    response = _see(target)
    secure = request.url.scheme == "https"
    response.set_cookie(
        TOKEN_COOKIE, token, httponly=True, samesite="strict", secure=secure, path="/"
    )
    return response


router.include_router(editor)
