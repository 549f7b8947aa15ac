"""Query parameters shared by the pages and the API, parsed once (FastAPI dependencies).

Every value is bounded (length, count, range): request input never reaches a query
unchecked, and never names a file.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query

from catalog.store.selection import Selection
from catalog.web.views import PaperFilters

__all__ = ["export_selection", "page_number", "paper_filters"]

_TEXT = 200  # characters in one filter value
_QUERY = 500  # characters in a search
_MANY = 20  # values of one repeatable filter

Text = Annotated[list[str], Query(max_length=_MANY)]


def _clean(values: list[str]) -> tuple[str, ...]:
    from fastapi import HTTPException

    for value in values:
        if len(value) > _TEXT:
            raise HTTPException(422, f"a filter value is longer than {_TEXT} characters")
    return tuple(dict.fromkeys(v.strip() for v in values if v.strip()))


def paper_filters(
    q: Annotated[str, Query(max_length=_QUERY, description="Words to find (prefixes)")] = "",
    tag: Annotated[list[str], Query(max_length=_MANY, description="Sessions' tag")] = [],  # noqa: B006
    term: Annotated[list[str], Query(max_length=_MANY, description="Sessions' term")] = [],  # noqa: B006
    presenter: Annotated[list[str], Query(max_length=_MANY, description="Who presented")] = [],  # noqa: B006
    year: Annotated[int | None, Query(ge=1000, le=9999, description="Year it appeared")] = None,
) -> PaperFilters:
    """``/papers`` and ``/api/papers``: ``q``, ``tag``, ``term``, ``presenter``, ``year``."""
    return PaperFilters(
        q=" ".join(q.split()),
        tags=_clean(tag),
        terms=_clean(term),
        presenters=_clean(presenter),
        year=year,
    )


def page_number(
    page: Annotated[int, Query(ge=1, le=100_000, description="Page of 50 results")] = 1,
) -> int:
    return page


def export_selection(
    session: Annotated[list[str], Query(max_length=_MANY, description="Session slug")] = [],  # noqa: B006
    tag: Annotated[list[str], Query(max_length=_MANY, description="Sessions' tag")] = [],  # noqa: B006
    category: Annotated[list[str], Query(max_length=_MANY, description="Category")] = [],  # noqa: B006
    term: Annotated[list[str], Query(max_length=_MANY, description="Sessions' term")] = [],  # noqa: B006
    presenter: Annotated[list[str], Query(max_length=_MANY, description="Talks by")] = [],  # noqa: B006
    since: Annotated[date | None, Query(description="Sessions on or after (YYYY-MM-DD)")] = None,
    until: Annotated[date | None, Query(description="Sessions on or before (YYYY-MM-DD)")] = None,
    paper: Annotated[list[str], Query(max_length=_MANY, description="Paper id or key")] = [],  # noqa: B006
) -> Selection:
    """The filters of ``catalog export``, by the same names (each repeatable)."""
    return Selection(
        sessions=_clean(session),
        tags=_clean(tag),
        categories=_clean(category),
        terms=_clean(term),
        presenters=_clean(presenter),
        since=since,
        until=until,
        papers=_clean(paper),
    )
