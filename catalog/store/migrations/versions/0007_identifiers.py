"""Identifiers beyond arXiv, the published record, and where each field came from.

* ``paper_identifier``: every identifier of a paper (scheme, canonical value, the source
  that gave it), each (scheme, value) unique. Today's ``paper.arxiv_id`` and ``paper.doi``
  are carried over: DOIs lower-cased (they are case-insensitive), a DOI field holding
  several DOIs (arXiv writes them space-separated) gives each.
* Two papers with the same DOI: the DOI becomes the identifier of one of them, the one
  arXiv described (else the oldest); the other keeps the text in ``extra_fields["doi"]``
  (so its BibTeX and JSON exports still carry it) and loses the ``doi`` column, which from
  now on copies an identifier. A DOI text that is no DOI at all is kept the same way. The
  papers are not merged here: two papers sharing a DOI may be a wrong DOI as well as one
  paper, and a wrong merge cannot be undone; ``catalog resolve`` decides with evidence.
* New paper columns: ``year``, ``kind``, ``volume``, ``issue``, ``pages``, ``publisher``
  (from a published record), ``item_type`` ("paper" for every existing row; importing the
  posts again types their videos, slides and blog posts) and ``field_sources`` (JSON: field
  -> source), filled for existing papers from what is known of them: arXiv's fields for
  papers synced from arXiv, else the post or .bib file that added them.

Plain ADD COLUMN (no table copy): a copy would drop the search triggers on paper (0003,
0006).
The DOI rule is copied here, not imported: a migration must do tomorrow what it does today.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_DOI = re.compile(r"10\.[0-9]{4,9}(?:\.[0-9]+)*/\S+")
_DOI_LABEL = re.compile(r"^(?:https?://(?:dx\.)?(?:www\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_CHUNK = 500

_paper = sa.table(
    "paper",
    sa.column("id", sa.Integer),
    sa.column("arxiv_id", sa.String),
    sa.column("doi", sa.String),
    sa.column("url", sa.String),
    sa.column("venue", sa.String),
    sa.column("entry_type", sa.String),
    sa.column("published", sa.DateTime(timezone=True)),
    sa.column("synced_at", sa.DateTime(timezone=True)),
    sa.column("sync_source", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("extra_fields", sa.JSON),
    sa.column("field_sources", sa.JSON),
)
_paper_author = sa.table("paper_author", sa.column("paper_id", sa.Integer))
_identifier = sa.table(
    "paper_identifier",
    sa.column("paper_id", sa.Integer),
    sa.column("scheme", sa.String),
    sa.column("value", sa.String),
    sa.column("source", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def _dois(text: str | None) -> list[str]:
    """The DOIs a ``paper.doi`` text holds, canonical; arXiv DOIs are left out (the
    paper's arXiv id says them)."""
    found = []
    for part in (text or "").split():
        doi = _DOI_LABEL.sub("", part).rstrip(".,;").translate(_ASCII_LOWER)
        if _DOI.fullmatch(doi) and not doi.startswith("10.48550/arxiv.") and doi not in found:
            found.append(doi)
    return found


def upgrade() -> None:
    for name, kind in (
        ("year", sa.Integer),
        ("kind", sa.String),
        ("volume", sa.String),
        ("issue", sa.String),
        ("pages", sa.String),
        ("publisher", sa.String),
    ):
        op.add_column("paper", sa.Column(name, kind, nullable=True))
    op.add_column(
        "paper", sa.Column("item_type", sa.String, nullable=False, server_default="paper")
    )
    op.add_column(
        "paper", sa.Column("field_sources", sa.JSON, nullable=False, server_default="{}")
    )
    op.create_table(
        "paper_identifier",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "paper_id", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("scheme", sa.String, nullable=False),
        sa.Column("value", sa.String, nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("scheme", "value", name="uq_paper_identifier"),
    )
    op.create_index("ix_paper_identifier_paper_id", "paper_identifier", ["paper_id"])
    _carry_over(op.get_bind())


def _carry_over(bind: sa.engine.Connection) -> None:
    has_authors = sa.exists().where(_paper_author.c.paper_id == _paper.c.id)
    rows = bind.execute(
        sa.select(
            _paper.c.id, _paper.c.arxiv_id, _paper.c.doi, _paper.c.url, _paper.c.venue,
            _paper.c.entry_type, _paper.c.published, _paper.c.synced_at, _paper.c.sync_source,
            _paper.c.created_at, _paper.c.extra_fields, has_authors.label("has_authors"),
        )
        # Who keeps a DOI two papers hold: the one arXiv described, else the oldest.
        .order_by(_paper.c.synced_at.is_(None), _paper.c.id)
    ).all()  # fmt: skip
    now = datetime.now(UTC)
    identifiers: list[dict[str, Any]] = []
    sources: dict[str, list[int]] = {}  # field_sources JSON -> paper ids
    doi_updates: list[dict[str, Any]] = []
    claimed: set[str] = set()
    for row in rows:
        source = "arxiv" if row.synced_at is not None else (row.sync_source or "post")
        created = row.created_at or now
        if row.arxiv_id:
            identifiers.append(
                {"paper_id": row.id, "scheme": "arxiv", "value": row.arxiv_id,
                 "source": source, "created_at": created}
            )  # fmt: skip
        kept = [d for d in _dois(row.doi) if d not in claimed]
        claimed.update(kept)
        for doi in kept:
            identifiers.append(
                {"paper_id": row.id, "scheme": "doi", "value": doi, "source": source,
                 "created_at": created}
            )  # fmt: skip
        column = kept[0] if kept else None
        if row.doi is not None and column != row.doi:
            extra = dict(row.extra_fields or {})
            if row.doi.strip() and (len(kept) != len(row.doi.split()) or not kept):
                extra.setdefault("doi", row.doi)  # nothing the paper had is lost
            doi_updates.append({"b_id": row.id, "doi": column, "extra_fields": extra})
        fields = {"title": source}
        if row.url:
            fields["url"] = source
        if row.has_authors:
            fields["authors"] = source
        if row.published is not None:
            fields["published"] = "arxiv" if row.synced_at is not None else source
        if row.venue:
            fields["venue"] = "bib" if row.entry_type else "post"
        if kept:
            fields["doi"] = source
        sources.setdefault(json.dumps(fields, sort_keys=True), []).append(row.id)

    for start in range(0, len(identifiers), _CHUNK):
        bind.execute(_identifier.insert(), identifiers[start : start + _CHUNK])
    if doi_updates:
        bind.execute(
            _paper.update()
            .where(_paper.c.id == sa.bindparam("b_id"))
            .values(doi=sa.bindparam("doi"), extra_fields=sa.bindparam("extra_fields")),
            doi_updates,
        )
    for text, ids in sources.items():
        for start in range(0, len(ids), _CHUNK):
            bind.execute(
                _paper.update()
                .where(_paper.c.id.in_(ids[start : start + _CHUNK]))
                .values(field_sources=json.loads(text))
            )


def downgrade() -> None:
    op.drop_index("ix_paper_identifier_paper_id", table_name="paper_identifier")
    op.drop_table("paper_identifier")
    for name in (
        "field_sources", "item_type", "publisher", "pages", "issue", "volume", "kind", "year",
    ):  # fmt: skip
        op.drop_column("paper", name)
