"""Indexes for the year filter now that a paper's year is its published record's first.

A paper's year (catalog.store.search.year_of) is ``paper.year`` (the published record's
year) where set, else the year of ``paper.published`` (the v1 date), else the one its
arXiv id names. Selecting one year's papers (``year=``, ``--year``) then reads:

* ``ix_paper_year`` (year): the papers whose published record is of that year;
* ``ix_paper_published_year`` (published, year), replacing 0006's ``ix_paper_published``
  (published): the papers first posted that year, and whether each has a published
  record of another year, from the index alone. ``year`` sits at the end of a paper's
  row (0007 added it), past the title and the extra fields: reading it from the table
  for each of a year's papers costs what reading every paper did.

Both indexes are plain B-trees on both dialects; no data changes.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_paper_year", "paper", ["year"])
    op.create_index("ix_paper_published_year", "paper", ["published", "year"])
    op.drop_index("ix_paper_published", "paper")


def downgrade() -> None:
    op.create_index("ix_paper_published", "paper", ["published"])
    op.drop_index("ix_paper_published_year", "paper")
    op.drop_index("ix_paper_year", "paper")
