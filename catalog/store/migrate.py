"""Schema migrations, shipped in the package so an installed tool can upgrade a database.

``ensure_schema`` runs on every open: a cheap look at ``alembic_version`` and, only
when it is behind, Alembic itself (imported lazily: it costs start-up time).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from catalog.errors import DatabaseError
from catalog.store.engine import WRITE_OPTION

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).parent / "migrations"
# The newest revision in migrations/versions; a test keeps the two in step.
HEAD = "0011"
# Any fixed number: PostgreSQL advisory lock that serialises concurrent upgrades.
_PG_LOCK_KEY = 0x0CA7A106


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def current_revision(conn: Connection, version_table: str = "alembic_version") -> str | None:
    """The revision a chain's version table records (None: no schema yet)."""
    from sqlalchemy import inspect, text

    if not inspect(conn).has_table(version_table):
        return None
    return conn.execute(text(f"SELECT version_num FROM {version_table}")).scalar()


def ensure_schema(engine: Engine) -> None:
    """Bring the database to the newest schema, if it is not there already."""
    from sqlalchemy.exc import OperationalError

    try:
        with engine.connect() as conn:
            revision = current_revision(conn)
    except OperationalError as exc:
        raise DatabaseError(f"cannot open database: {exc.orig}") from None
    if revision == HEAD:
        return
    upgrade(engine)


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str | None]:
    """Apply migrations up to ``target``; return (revision before, revision after)."""
    return locked_upgrade(
        engine, alembic_config(), target, lock_key=_PG_LOCK_KEY, what="database schema"
    )


def locked_upgrade(
    engine: Engine,
    config: Config,
    target: str,
    *,
    lock_key: int,
    what: str,
    version_table: str = "alembic_version",
) -> tuple[str | None, str | None]:
    """Upgrade one migration chain (the catalog's, or the arXiv index's with its own
    version table) to ``target``; return (revision before, revision after).

    The check and the upgrade run in one write transaction (on PostgreSQL under an
    advisory lock), so a second process that starts at the same moment waits and then
    finds nothing left to do; a revision this code does not know (the database was made
    by a newer catalog) is refused before anything is changed.
    """
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    known = {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}
    with engine.connect().execution_options(**{WRITE_OPTION: True}) as conn:
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key})
            before = current_revision(conn, version_table)
            if before is not None and before not in known:
                raise DatabaseError(
                    f"{what} {before} is newer than this catalog knows: upgrade catalog"
                )
            config.attributes["connection"] = conn
            command.upgrade(config, target)
            after = current_revision(conn, version_table)
    return before, after
