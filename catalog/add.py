"""Adding papers by id: what ``catalog add`` and the web's planning forms both call.

Every id is parsed before anything is asked or stored (one bad id refuses the whole
call); the papers are fetched from arXiv in one request and stored in one transaction;
with a session, each paper (or, ``together``, all of them) becomes a talk, and only when
every paper was found, so a failed add never leaves half a plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from catalog.errors import CatalogError
from catalog.records import ArxivRecord
from catalog.store.catalog import Catalog, UpsertResult
from catalog.store.planning import TalkResult

__all__ = ["AddResult", "InvalidIds", "add_papers", "parse_ids"]

if TYPE_CHECKING:
    from catalog.sources.arxiv.ids import ArxivId


class InvalidIds(CatalogError):
    """Some of the ids given are not ids at all; ``messages`` has one line per bad id."""

    exit_code = 2

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


@dataclass
class AddResult:
    """What :func:`add_papers` did: papers stored, ids that failed, talks made."""

    stored: list[UpsertResult] = field(default_factory=list)
    records: dict[str, ArxivRecord] = field(default_factory=dict)  # arXiv id -> record
    problems: list[tuple[str, str]] = field(default_factory=list)  # (id, why)
    talks: list[TalkResult] = field(default_factory=list)


def parse_ids(refs: Sequence[str]) -> list[ArxivId]:
    """Every ref parsed as an id; :class:`InvalidIds` naming each one that is not."""
    from catalog.errors import InvalidArxivId
    from catalog.sources.arxiv.ids import parse_arxiv_id

    parsed, bad = [], []
    for text in refs:
        try:
            parsed.append(parse_arxiv_id(text))
        except InvalidArxivId as exc:
            bad.append(str(exc))
    if bad:
        raise InvalidIds(bad)
    if not parsed:
        raise CatalogError("no paper id given")
    return parsed


def add_papers(
    catalog: Catalog,
    refs: Sequence[str],
    *,
    session: str | None = None,
    presenter: str | None = None,
    slides: str | None = None,
    together: bool = False,
) -> AddResult:
    """Fetch the papers ``refs`` names from arXiv and store them; with ``session``, add
    them to it as talks (one each, or one for all with ``together``).

    Raises :class:`InvalidIds` (nothing asked, nothing stored) when any ref is not an id,
    NotFound for an unknown session (before arXiv is asked), ArxivUnavailable when arXiv
    cannot be reached. Ids arXiv does not know are in ``problems``; then no talk is added.
    """
    from catalog.sources.arxiv.client import ArxivClient

    parsed = parse_ids(refs)
    if session is None and (presenter or slides or together):
        raise CatalogError("a presenter, slides or 'together' go with a session")
    if session is not None:
        from catalog.store.planning import get_session

        get_session(catalog, session)  # a mistyped slug fails before asking arXiv
    with ArxivClient() as client:
        fetched = client.fetch(parsed)
    result = AddResult(records=fetched.records)
    result.stored = catalog.upsert_arxiv(list(fetched.records.values()))
    result.problems = [(i, "not found on arXiv") for i in fetched.missing]
    result.problems += list(fetched.errors.items())
    if session is not None and not result.problems:
        from catalog.store.planning import add_talk

        order = list(dict.fromkeys(p.id for p in parsed))  # in the order given, each once
        groups = [order] if together else [[arxiv_id] for arxiv_id in order]
        result.talks = [
            add_talk(catalog, session, group, presenter=presenter, slides=slides)
            for group in groups
        ]
    return result
