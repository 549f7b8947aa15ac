"""The HTML pages: each route reads its page's data from :mod:`catalog.web.views` (the
same data its ``/api/`` twin returns) and renders a template."""

from __future__ import annotations

import io
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from starlette.responses import HTMLResponse, Response

from catalog.exporters import ExportOptions
from catalog.store.catalog import Catalog
from catalog.store.selection import Selection
from catalog.web.app import get_catalog
from catalog.web.params import export_selection, page_number, paper_filters
from catalog.web.templating import render
from catalog.web.views import PaperFilters

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
CatalogDep = Annotated[Catalog, Depends(get_catalog)]
LATEST = 5  # sessions on the home page


@router.get("/", response_class=HTMLResponse)
def home(request: Request, catalog: CatalogDep) -> Response:
    from catalog.store.overview import counts, latest_sessions

    return render(
        request,
        "home.html",
        {"counts": counts(catalog), "latest": latest_sessions(catalog, LATEST)},
    )


@router.get("/papers", response_class=HTMLResponse)
def papers(
    request: Request,
    catalog: CatalogDep,
    filters: Annotated[PaperFilters, Depends(paper_filters)],
    page: Annotated[int, Depends(page_number)],
) -> Response:
    from catalog.web.views import papers_page

    # The list shows no abstracts (its JSON twin does).
    result = papers_page(catalog, filters, page, abstracts_too=False)
    return render(request, "papers.html", {"result": result})


def _download(text: str, media_type: str, filename: str) -> Response:
    return Response(
        text,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def _export(catalog: Catalog, fmt: str, sel: Selection, options: ExportOptions) -> str:
    from catalog.exporting import run_export

    out = io.StringIO()
    # As `catalog export` writes it, but a GET stores no key: papers without one get
    # the keys that export would store.
    run_export(catalog, fmt, sel, out, options, store_keys=False)
    return out.getvalue()


def _file_stem(ref: str) -> str:
    """A download's file name from a paper ref: letters, digits, '-', '_', '.' only."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in ref)[:80] or "paper"


RefPath = Annotated[str, Path(max_length=200, description="Citation key, arXiv id or number")]


@router.get("/papers/{ref:path}.bib")
def paper_bibtex(catalog: CatalogDep, ref: RefPath) -> Response:
    from catalog.web.views import paper_download

    text, key = paper_download(catalog, ref, "bibtex")
    return _download(text, "application/x-bibtex; charset=utf-8", f"{_file_stem(key)}.bib")


@router.get("/papers/{ref:path}.csl.json")
def paper_csl(catalog: CatalogDep, ref: RefPath) -> Response:
    from catalog.web.views import paper_download

    text, key = paper_download(catalog, ref, "csl")
    return _download(text, "application/json", f"{_file_stem(key)}.csl.json")


@router.get("/papers/{ref:path}", response_class=HTMLResponse)
def paper(request: Request, catalog: CatalogDep, ref: RefPath) -> Response:
    from catalog.web.views import paper_detail

    return render(request, "paper.html", {"detail": paper_detail(catalog, ref)})


@router.get("/sessions", response_class=HTMLResponse)
def sessions(request: Request, catalog: CatalogDep) -> Response:
    from catalog.web.views import sessions_by_term

    return render(request, "sessions.html", {"groups": sessions_by_term(catalog)})


SlugPath = Annotated[str, Path(max_length=200)]


@router.get("/sessions/{slug}/post.md")
def session_post(catalog: CatalogDep, slug: SlugPath) -> Response:
    """The session as a post (``catalog export markdown --session SLUG``)."""
    text = _export(catalog, "markdown", Selection(sessions=(slug,)), ExportOptions())
    return _download(text, "text/markdown; charset=utf-8", f"{_file_stem(slug)}.md")


@router.get("/sessions/{slug}", response_class=HTMLResponse)
def session(request: Request, catalog: CatalogDep, slug: SlugPath) -> Response:
    from catalog.store.planning import get_session

    # The page shows no abstracts: they are most of the bytes read.
    view = get_session(catalog, slug, abstracts_too=False)
    return render(request, "session.html", {"session": view})


@router.get("/presenters", response_class=HTMLResponse)
def presenters(request: Request, catalog: CatalogDep) -> Response:
    from catalog.store.planning import list_presenters

    return render(request, "presenters.html", {"presenters": list_presenters(catalog)})


@router.get("/presenters/{name}", response_class=HTMLResponse)
def presenter(request: Request, catalog: CatalogDep, name: SlugPath) -> Response:
    from catalog.store.planning import presenter_detail

    detail = presenter_detail(catalog, name, abstracts_too=False)  # the page shows none
    return render(request, "presenter.html", {"presenter": detail})


@router.get("/check", response_class=HTMLResponse)
def check(request: Request) -> Response:
    linter = request.app.state.linter
    if linter is None:
        raise HTTPException(404, "no posts to check: start the server with --posts DIR")
    return render(request, "check.html", {"lint": linter.lint()})


_EXPORTS = {
    "bib": ("bibtex", "application/x-bibtex; charset=utf-8"),
    "json": ("json", "application/json"),
    "csl.json": ("csl", "application/json"),
}


def _export_route(suffix: str) -> None:
    fmt, media_type = _EXPORTS[suffix]

    def export(
        catalog: CatalogDep,
        sel: Annotated[Selection, Depends(export_selection)],
        abstracts: bool = False,
        ascii: bool = False,
    ) -> Response:
        text = _export(catalog, fmt, sel, ExportOptions(abstracts=abstracts, ascii=ascii))
        return _download(text, media_type, f"catalog.{suffix}")

    export.__doc__ = f"The catalog as ``catalog export {fmt}`` writes it, with its filters."
    router.add_api_route(f"/export.{suffix}", export, methods=["GET"], name=f"export_{fmt}")


for _suffix in _EXPORTS:
    _export_route(_suffix)
