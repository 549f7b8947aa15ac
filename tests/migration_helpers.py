"""What every migration test does around its own checks: make a database at the previous
head with rows in it, and take a migrated database down to that head and back up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
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


def add_doi_paper(conn: Connection) -> None:
    """A paper, "Hybrid computing", known by its DOI only, as a post left it (the first
    paper of an empty database, so its id is 1)."""
    conn.execute(
        text(
            "INSERT INTO paper (arxiv_id, doi, title, title_key, url, categories,"
            " extra_fields, field_sources, sync_source, created_at) VALUES (NULL,"
            " '10.1038/nature20101', 'Hybrid computing', 'hybrid computing',"
            " 'https://doi.org/10.1038/nature20101', '[]', '{}', '{}', 'post',"
            " '2019-06-01 00:00:00')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO paper_identifier (paper_id, scheme, value, source, created_at)"
            " SELECT id, 'doi', '10.1038/nature20101', 'post', '2019-06-01 00:00:00' FROM paper"
            " WHERE doi = '10.1038/nature20101'"
        )
    )
