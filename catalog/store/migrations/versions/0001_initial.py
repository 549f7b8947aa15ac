"""Initial schema: papers, authors, abstracts, sessions, presenters, presentations.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("arxiv_id", sa.String, nullable=True),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("title", sa.String, nullable=False),
        sa.Column("title_key", sa.String, nullable=False),
        sa.Column("url", sa.String, nullable=True),
        sa.Column("url_key", sa.String, nullable=True),
        sa.Column("published", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=True),
        sa.Column("primary_category", sa.String, nullable=True),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("doi", sa.String, nullable=True),
        sa.Column("journal_ref", sa.String, nullable=True),
        sa.Column("comment", sa.String, nullable=True),
        sa.Column("venue", sa.String, nullable=True),
        sa.Column("entry_type", sa.String, nullable=True),
        sa.Column("extra_fields", sa.JSON, nullable=False),
        sa.Column("citation_key", sa.String, nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sync_source", sa.String, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("citation_key", name="uq_paper_citation_key"),
    )
    op.create_index("ix_paper_arxiv_id", "paper", ["arxiv_id"], unique=True)
    op.create_index("ix_paper_title_key", "paper", ["title_key"])
    op.create_index("ix_paper_url_key", "paper", ["url_key"])

    op.create_table(
        "author",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.UniqueConstraint("name", name="uq_author_name"),
    )
    op.create_table(
        "paper_author",
        sa.Column(
            "paper_id", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column(
            "author_id", sa.Integer, sa.ForeignKey("author.id", ondelete="CASCADE"), nullable=False
        ),
    )
    op.create_index("ix_paper_author_author_id", "paper_author", ["author_id"])

    op.create_table(
        "abstract",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "paper_id", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("source_ref", sa.String, nullable=False),
        sa.UniqueConstraint("paper_id", "source", "source_ref", name="uq_abstract_source"),
    )
    op.create_index("ix_abstract_paper_id", "abstract", ["paper_id"])

    op.create_table(
        "presenter",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("key", sa.String, nullable=False),
        sa.UniqueConstraint("key", name="uq_presenter_key"),
    )
    op.create_table(
        "session",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("slug", sa.String, nullable=False),
        sa.Column("title", sa.String, nullable=False),
        sa.Column("date", sa.Date, nullable=True),
        sa.Column("desc", sa.String, nullable=True),
        sa.Column("term", sa.String, nullable=True),
        sa.Column("layout", sa.String, nullable=True),
        sa.Column("categories", sa.JSON, nullable=False),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
        sa.Column("source_path", sa.String, nullable=True),
        sa.UniqueConstraint("slug", name="uq_session_slug"),
    )
    op.create_table(
        "presentation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "session_id",
            sa.Integer,
            sa.ForeignKey("session.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column(
            "presenter_id",
            sa.Integer,
            sa.ForeignKey("presenter.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("title", sa.String, nullable=False),
        sa.Column("slides_url", sa.String, nullable=True),
        sa.Column("link_url", sa.String, nullable=True),
    )
    op.create_index("ix_presentation_session_id", "presentation", ["session_id"])
    op.create_index("ix_presentation_presenter_id", "presentation", ["presenter_id"])
    op.create_table(
        "presentation_paper",
        sa.Column(
            "presentation_id",
            sa.Integer,
            sa.ForeignKey("presentation.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "paper_id", sa.Integer, sa.ForeignKey("paper.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("position", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "presentation_paper",
        "presentation",
        "session",
        "presenter",
        "abstract",
        "paper_author",
        "author",
        "paper",
    ):
        op.drop_table(table)
