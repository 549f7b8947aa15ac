"""When each source last answered for a paper, and when ``catalog resolve`` last tried it.

* ``paper_identifier.synced_at`` / ``sync_attempted_at`` / ``sync_error``: ``catalog sync``
  refreshes a paper from each source it came from (Crossref by its DOI, DBLP by its key,
  OpenReview by its note id, a proceedings site by its page), and these say when that
  source last gave a record for the identifier, when it was last asked, and why it gave
  none ("not found at Crossref"). They mean for each identifier what ``paper.synced_at``,
  ``sync_attempted_at`` and ``sync_error`` mean for arXiv: a paper is due for a source
  when neither time is recent, so an interrupted sync goes on where it stopped and an
  unknown identifier is asked again a month later, not on every run.
* ``paper.resolve_attempted_at`` / ``resolve_error``: the last time ``catalog resolve``
  looked for the paper and found nothing it could accept ("ambiguous: 2 candidates",
  "not found"), so a plain ``catalog resolve`` does not ask again every run.

Plain ADD COLUMN, all nullable: existing rows mean "never asked", which is true.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_IDENTIFIER_COLUMNS = (
    ("synced_at", sa.DateTime(timezone=True)),
    ("sync_attempted_at", sa.DateTime(timezone=True)),
    ("sync_error", sa.String),
)
_PAPER_COLUMNS = (
    ("resolve_attempted_at", sa.DateTime(timezone=True)),
    ("resolve_error", sa.String),
)


def upgrade() -> None:
    for name, kind in _IDENTIFIER_COLUMNS:
        op.add_column("paper_identifier", sa.Column(name, kind, nullable=True))
    for name, kind in _PAPER_COLUMNS:
        op.add_column("paper", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    for name, _ in reversed(_PAPER_COLUMNS):
        op.drop_column("paper", name)
    for name, _ in reversed(_IDENTIFIER_COLUMNS):
        op.drop_column("paper_identifier", name)
