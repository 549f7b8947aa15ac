"""SQLModel tables: the catalog's schema.

Any change here needs an Alembic migration in ``catalog/store/migrations/versions``
(the migrations, not ``create_all``, build every database).

Layout::

    session 1─* presentation *─* paper (via presentation_paper, ordered)
                presentation *─1 presenter
    paper 1─* paper_author *─1 author     (ordered per paper)
    paper 1─* abstract                    (text + where it came from)
    paper 1─* paper_version               (every arXiv version seen, with its date)
    paper 1─* paper_identifier            (arXiv id, DOIs, DBLP keys, ...: each one paper's)

Identifiers and the ``arxiv_id`` / ``doi`` columns. Every identifier of a paper is a
``paper_identifier`` row, and each (scheme, value) belongs to one paper. ``paper.arxiv_id``
and ``paper.doi`` stay as columns, copies of the paper's arXiv identifier and of the DOI
its exports write, because the arXiv id is the hot key: ``sync`` plans over it across the
whole catalog, post import matches rows by it, and exports read it for every paper
(100,000 papers in about 2 s, ``benchmarks/bench_export.py``), where a join or a second
lookup per paper would cost more than a copy. A paper has at most one arXiv id (two
papers with different ones are never merged), so that copy is exact; the ``doi`` column is
the paper's DOI from the highest-ranked source (``catalog.store.works.rank``). One module,
:mod:`catalog.store.identifiers`, writes both columns, always from the identifier rows
(``attach``, ``detach``, and merging papers go through it).

Provenance. ``field_sources`` maps a field ("title", "authors", "url", "venue", "year",
"kind", "volume", "issue", "pages", "publisher", "doi", "published") to the source that
gave its value ("arxiv", "crossref", "dblp", "openreview", "proceedings", "bib", "post");
abstracts carry their source in their own rows. Which source may replace which is one
rule, :func:`catalog.store.works.may_set`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from datetime import date as Date
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel


def _now() -> datetime:
    return datetime.now(UTC)


def _fk(target: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> Any:
    """An integer foreign key column; deleting the parent cascades (or nulls) in the database."""
    return Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=True
        ),
    )


class Paper(SQLModel, table=True):
    __tablename__ = "paper"

    id: int | None = Field(default=None, primary_key=True)
    # Copies of the paper's arXiv identifier and exported DOI (see the module docstring).
    arxiv_id: str | None = Field(default=None, unique=True, index=True)  # canonical, no version
    version: int | None = None  # latest version seen
    title: str
    title_key: str = Field(index=True)  # normalised title, for matching papers without ids
    url: str | None = None
    url_key: str | None = Field(default=None, index=True)  # normalised URL, for matching
    published: datetime | None = None  # v1 date (UTC)
    updated: datetime | None = None  # latest version's date (UTC)
    primary_category: str | None = None
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    doi: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    venue: str | None = None  # from a post ("ICML18") or a .bib entry
    entry_type: str | None = None  # BibTeX entry type, when imported from .bib
    extra_fields: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    citation_key: str | None = Field(default=None, unique=True)  # given once, never changed
    synced_at: datetime | None = None  # last successful fetch from arXiv
    sync_source: str | None = None  # how it was last filled: "arxiv", "post", "bib"
    # Last time `catalog sync` asked arXiv, and why it found nothing (None when it did).
    sync_attempted_at: datetime | None = None
    sync_error: str | None = None
    # Last time `catalog resolve` looked for it and accepted nothing, and why (0009).
    resolve_attempted_at: datetime | None = None
    resolve_error: str | None = None
    created_at: datetime = Field(default_factory=_now)
    # Where the paper was published, from a published record (Crossref, DBLP, ...).
    year: int | None = None
    kind: str | None = None  # one of catalog.records.WORK_KINDS
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    publisher: str | None = None
    # "paper", or what a link that is not a paper is (catalog.sources.ids.ITEM_TYPES).
    item_type: str = Field(
        default="paper", sa_column=Column(String, nullable=False, server_default="paper")
    )
    field_sources: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, server_default="{}")
    )


class PaperIdentifier(SQLModel, table=True):
    """One identifier of a paper (canonical, see :class:`catalog.records.Identifier`) and
    the source that gave it. Citation keys a merged paper gave up are kept here too, as
    scheme "key", so that ``catalog show OLDKEY`` still finds the paper."""

    __tablename__ = "paper_identifier"
    __table_args__ = (UniqueConstraint("scheme", "value", name="uq_paper_identifier"),)

    id: int | None = Field(default=None, primary_key=True)
    paper_id: int | None = _fk("paper.id")
    scheme: str
    value: str
    source: str  # "arxiv" | "crossref" | "dblp" | "openreview" | "proceedings" | "bib" | "post"
    created_at: datetime = Field(default_factory=_now)
    # `catalog sync` by source (0009): when a source last gave a record for this
    # identifier, when it was last asked, and why it gave none.
    synced_at: datetime | None = None
    sync_attempted_at: datetime | None = None
    sync_error: str | None = None


class Author(SQLModel, table=True):
    __tablename__ = "author"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)


class PaperAuthor(SQLModel, table=True):
    __tablename__ = "paper_author"

    paper_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True),
    )
    position: int = Field(primary_key=True)  # 0-based order of authorship
    author_id: int | None = _fk("author.id")


class Abstract(SQLModel, table=True):
    """An abstract and where it came from; a paper may have one per source."""

    __tablename__ = "abstract"
    __table_args__ = (UniqueConstraint("paper_id", "source", "source_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    paper_id: int | None = _fk("paper.id")
    text: str
    source: str  # "arxiv" | "post" | "bib"
    source_ref: str = ""  # e.g. "2018-07-31-Generative18.md#^4" for a post footnote


class PaperVersion(SQLModel, table=True):
    __tablename__ = "paper_version"

    paper_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True),
    )
    version: int = Field(primary_key=True)
    date: datetime | None = None
    seen_at: datetime = Field(default_factory=_now)


class Presenter(SQLModel, table=True):
    __tablename__ = "presenter"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    key: str = Field(unique=True)  # case- and space-insensitive form of the name


class Session(SQLModel, table=True):
    """A reading-group session: one post."""

    __tablename__ = "session"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True)
    title: str = ""
    date: Date | None = None
    desc: str | None = None
    term: str | None = None
    layout: str | None = None
    categories: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    extra: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    source_path: str | None = None


class Presentation(SQLModel, table=True):
    """One row of a session: a talk, with zero, one or several papers."""

    __tablename__ = "presentation"

    id: int | None = Field(default=None, primary_key=True)
    session_id: int | None = _fk("session.id")
    position: int  # 1-based order within the session
    presenter_id: int | None = _fk("presenter.id", nullable=True, ondelete="SET NULL")
    title: str = ""
    slides_url: str | None = None
    link_url: str | None = None  # the row's link when no paper is catalogued for it
    # Other links of the row's paper-URL cell ("[code](...)"), as [{"text", "url"}].
    links: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )


class PresentationPaper(SQLModel, table=True):
    __tablename__ = "presentation_paper"

    presentation_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("presentation.id", ondelete="CASCADE"), primary_key=True
        ),
    )
    paper_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True),
    )
    position: int = 0


class BibEntry(SQLModel, table=True):
    """A .bib entry the catalog holds exactly (migration 0010): the digest of its raw
    block text, the paper it was merged into, its key. Triggers drop a paper's rows
    whenever the paper changes, so a re-import skips only what merging would not change
    (catalog/importers/bib_digests.py)."""

    __tablename__ = "bib_entry"

    digest: bytes = Field(sa_column=Column(LargeBinary(16), primary_key=True))
    paper_id: int | None = _fk("paper.id")
    entry_key: str
