"""What every migration test does around its own checks: make a database at the previous
head with rows in it, and take a migrated database down to that head and back up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection

from catalog.store.engine import make_engine
from catalog.store.migrate import HEAD, alembic_config, current_revision, upgrade


@contextmanager
def database_at(url: str, revision: str) -> Iterator[Connection]:
    """A new database at ``url`` migrated to ``revision``; the caller's rows go in
    through the connection, in one transaction committed on leaving."""
    engine = make_engine(url)
    try:
        assert upgrade(engine, revision) == (None, revision)
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


@contextmanager
def downgraded(url: str, revision: str) -> Iterator[Connection]:
    """The database at ``url`` upgraded to the head, then downgraded to ``revision``: the
    connection sees it there for the caller's checks; on leaving it must upgrade back
    from ``revision`` to the head."""
    from alembic import command

    engine = make_engine(url)
    try:
        upgrade(engine)
        with engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, revision)
            assert current_revision(conn) == revision
            yield conn
        assert upgrade(engine) == (revision, HEAD)
    finally:
        engine.dispose()
