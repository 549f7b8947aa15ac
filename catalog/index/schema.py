"""Where the arXiv index lives, and bringing its schema up to date.

Beside a SQLite catalog the index is a database file of its own, ``arxiv-index.sqlite``
in the catalog's folder (``db/arxiv-index.sqlite`` next to ``db/catalog.sqlite``): a
million records take gigabytes, and in the group's file they would make every backup,
copy and ``VACUUM`` of a few hundred papers that big and slow, and its writes would
queue behind a harvest's. Catalogs in one folder share the index (arXiv's metadata is
the same for all of them). On PostgreSQL the index is its own tables in the catalog's
database (``arxiv_record``, ``arxiv_version``, ``arxiv_harvest``, ``arxiv_snapshot``):
the server keeps them apart, and ``list``/``export`` never read them.

The schema is a chain of Alembic migrations of its own (``catalog/index/migrations``)
with its own version table, ``arxiv_index_version``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from catalog.errors import DatabaseError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "arxiv_index_version"
HEAD = "ix0005"  # the newest revision in migrations/versions; a test keeps them in step
INDEX_FILE = "arxiv-index.sqlite"
_PG_LOCK_KEY = 0x0CA7A1D0  # serialises concurrent upgrades of the index's tables


def index_url(catalog_url: str) -> str:
    """The index's database URL for a catalog URL (already resolved)."""
    from sqlalchemy.engine import make_url

    url = make_url(catalog_url)
    if url.get_backend_name() != "sqlite":
        return catalog_url
    if url.database in (None, "", ":memory:"):
        return catalog_url  # an in-memory catalog gets an in-memory index
    return url.set(database=str(Path(url.database).parent / INDEX_FILE)).render_as_string(
        hide_password=False
    )


def current_revision(conn: Connection) -> str | None:
    from catalog.store.migrate import current_revision as recorded

    return recorded(conn, VERSION_TABLE)


def ensure_schema(engine: Engine) -> None:
    """Bring the index to the newest schema, if it is not there already."""
    from sqlalchemy.exc import OperationalError

    try:
        with engine.connect() as conn:
            revision = current_revision(conn)
    except OperationalError as exc:
        raise DatabaseError(f"cannot open the arXiv index: {exc.orig}") from None
    if revision != HEAD:
        upgrade(engine)


def upgrade(engine: Engine, target: str = "head") -> None:
    """Apply the index's migrations up to ``target`` in one locked transaction."""
    from alembic.config import Config

    from catalog.store.migrate import locked_upgrade

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    locked_upgrade(
        engine, config, target, lock_key=_PG_LOCK_KEY, what="arXiv index schema",
        version_table=VERSION_TABLE,
    )  # fmt: skip
