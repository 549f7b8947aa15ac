"""Alembic environment of the arXiv index: a chain of its own, with its own version table
(``arxiv_index_version``), so it never mixes with the catalog's (catalog/store/migrations)
even where both live in one PostgreSQL database. Runs inside the connection and
transaction that ``catalog.index.schema.upgrade`` opens."""

from __future__ import annotations

from alembic import context

from catalog.index.schema import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=None,
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()
