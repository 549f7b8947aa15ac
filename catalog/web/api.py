"""The JSON API under ``/api/``: the pages' data, papers and sessions in the JSON export's
documented shape (README "JSON export"), and its documentation at ``/api/docs``.

Errors are JSON too: ``{"status": 404, "detail": "no paper 'x' in the catalog; did you
mean maddison2016concrete?"}`` (see :mod:`catalog.web.app`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from catalog.store.catalog import Catalog
from catalog.web.app import get_catalog
from catalog.web.params import page_number, paper_filters
from catalog.web.views import PaperFilters

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["api"])
CatalogDep = Annotated[Catalog, Depends(get_catalog)]
_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not in the catalog: `detail` names the nearest keys"},
    422: {"description": "A bad parameter: `detail` names it"},
}


def _json(data: Any) -> JSONResponse:
    return JSONResponse(data)


@router.get("/papers", responses=_ERRORS)
def papers(
    catalog: CatalogDep,
    filters: Annotated[PaperFilters, Depends(paper_filters)],
    page: Annotated[int, Depends(page_number)],
) -> Response:
    """Papers matching every word of `q` (as prefixes, in titles, authors and abstracts)
    and every filter given, 50 a page: `{"total", "total_is_exact", "page", "pages",
    "per_page", "has_next", "papers"}`. A search counts its matches up to 2,000: when
    more match, `total` is 2,000 and `total_is_exact` false ("more than 2,000"), and
    `pages` counts the pages known so far; `has_next` says whether page + 1 holds any.
    """
    from catalog.web.views import paper_json, papers_page

    result = papers_page(catalog, filters, page)
    return _json(
        {
            "total": result.total,
            "total_is_exact": result.total_is_exact,
            "page": result.page,
            "pages": result.pages,
            "per_page": result.per_page,
            "has_next": result.has_next,
            "papers": [paper_json(p) for p in result.papers],
        }
    )


@router.get("/papers/{ref:path}", responses=_ERRORS)
def paper(
    catalog: CatalogDep,
    ref: Annotated[str, Path(max_length=200, description="Citation key, arXiv id or number")],
) -> Response:
    """One paper (the JSON export's shape) with its `versions` and the `talks` that
    presented it."""
    from catalog.web.views import paper_detail, paper_detail_json

    return _json(paper_detail_json(paper_detail(catalog, ref)))


@router.get("/sessions")
def sessions(catalog: CatalogDep) -> Response:
    """Every session, as `/sessions` lists them (by date; undated last): the JSON
    export's `slug`, `date`, `title`, `term`, `categories`, `tags`, with counts of
    `talks`, distinct `papers` and `presenters`. `/api/sessions/{slug}` has the rest."""
    from catalog.store.planning import list_sessions

    return _json(
        {
            "sessions": [
                {
                    "slug": x.slug,
                    "date": x.date.isoformat() if x.date else None,
                    "title": x.title,
                    "term": x.term,
                    "categories": x.categories,
                    "tags": x.tags,
                    "talks": x.talks,
                    "papers": x.papers,
                    "presenters": x.presenters,
                }
                for x in list_sessions(catalog)
            ]
        }
    )


@router.get("/sessions/{slug}", responses=_ERRORS)
def session(catalog: CatalogDep, slug: Annotated[str, Path(max_length=200)]) -> Response:
    """One session: `catalog export json --session SLUG`'s document."""
    from catalog.store.planning import get_session
    from catalog.web.views import sessions_json

    return _json(sessions_json(catalog, [get_session(catalog, slug)]))


@router.get("/presenters")
def presenters(catalog: CatalogDep) -> Response:
    """Every presenter with counts of talks, distinct papers and sessions; most talks
    first."""
    from catalog.store.planning import list_presenters

    return _json(
        {
            "presenters": [
                {"name": p.name, "talks": p.talks, "papers": p.papers, "sessions": p.sessions}
                for p in list_presenters(catalog)
            ]
        }
    )


@router.get("/presenters/{name}", responses=_ERRORS)
def presenter(catalog: CatalogDep, name: Annotated[str, Path(max_length=200)]) -> Response:
    """A presenter's talks, by session date (papers in the JSON export's shape)."""
    from catalog.store.planning import presenter_detail
    from catalog.web.views import paper_json

    detail = presenter_detail(catalog, name)
    return _json(
        {
            "name": detail.name,
            "talks": [
                {
                    "session": t.slug,
                    "session_title": t.session_title,
                    "date": t.date.isoformat() if t.date else None,
                    "position": t.position,
                    "title": t.title,
                    "slides_url": t.slides_url,
                    "papers": [paper_json(p) for p in t.papers],
                }
                for t in detail.talks
            ],
        }
    )


@router.get("/check", responses={404: {"description": "The server has no --posts"}})
def check(request: Request) -> Response:
    """`catalog check --format json`'s document for the posts given with `--posts`."""
    import json

    from catalog.check.report import render_json

    linter = request.app.state.linter
    if linter is None:
        raise HTTPException(404, "no posts to check: start the server with --posts DIR")
    report = linter.lint().report
    return _json(json.loads(render_json(report.findings, len(report.checked), report.unreadable)))


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
def docs(request: Request) -> Response:
    """The API's documentation, rendered here from the OpenAPI document: no script, no
    CDN, so it works offline and under the server's Content-Security-Policy."""
    from catalog.web.templating import render

    spec = request.app.openapi()
    operations = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "parameters": [
                        {
                            "name": p.get("name"),
                            "in": p.get("in"),
                            "required": p.get("required", False),
                            "type": _type_name(p.get("schema", {})),
                            "description": p.get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "responses": [
                        (code, r.get("description", "")) for code, r in op["responses"].items()
                    ],
                }
            )
    return render(request, "api_docs.html", {"spec": spec, "operations": operations})


def _type_name(schema: dict[str, Any]) -> str:
    if "anyOf" in schema:
        return " or ".join(_type_name(s) for s in schema["anyOf"] if s.get("type") != "null")
    if schema.get("type") == "array":
        return f"list of {_type_name(schema.get('items', {}))}"
    return str(schema.get("format") or schema.get("type") or "")
