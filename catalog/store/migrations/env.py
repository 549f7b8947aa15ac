"""Alembic environment. Runs inside the connection and transaction that
``catalog.store.migrate.upgrade`` opens, so the version check and the upgrade are
one locked unit even when several processes start at once."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import catalog.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=True,  # SQLite can only ALTER through table copies
)
with context.begin_transaction():
    context.run_migrations()
