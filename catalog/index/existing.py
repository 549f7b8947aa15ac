"""The catalog's arXiv index, when there is one worth asking.

``catalog resolve`` and ``catalog sync`` ask the index before arXiv's API (issue 13, part
4), but a catalog that never ran ``catalog harvest`` has no index, and opening one with
:meth:`ArxivIndex.open` would create it: so this looks first, and creates nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from catalog.index.store import ArxivIndex

__all__ = ["existing_index"]


def existing_index(catalog_url: str | None = None) -> ArxivIndex | None:
    """The index beside the catalog at ``catalog_url`` (opened: the caller closes it) when
    it exists and holds at least one record; else None, and nothing is made."""
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url

    from catalog.index.schema import VERSION_TABLE, index_url
    from catalog.index.store import ArxivIndex
    from catalog.store.engine import make_engine, resolve_url

    resolved = resolve_url(catalog_url)
    url = make_url(index_url(resolved))
    if url.get_backend_name() == "sqlite":
        if not url.database or url.database == ":memory:" or not Path(url.database).exists():
            return None
    else:
        engine = make_engine(url.render_as_string(hide_password=False))
        try:
            with engine.connect() as conn:
                if not inspect(conn).has_table(VERSION_TABLE):
                    return None
        finally:
            engine.dispose()
    index = ArxivIndex.open(resolved)
    try:
        with index.read() as conn:
            if conn.exec_driver_sql("SELECT 1 FROM arxiv_record LIMIT 1").first() is None:
                index.close()
                return None
    except BaseException:
        index.close()
        raise
    return index
