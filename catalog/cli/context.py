"""What every command shares: the open catalog (opened on first use, closed at exit)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from catalog.store.catalog import Catalog


class AppContext:
    def __init__(self, db_url: str | None) -> None:
        self.db_url = db_url
        self._catalog: Catalog | None = None

    @property
    def catalog(self) -> Catalog:
        """The catalog, opened (and migrated) the first time a command needs it."""
        if self._catalog is None:
            from catalog.store.catalog import Catalog

            self._catalog = Catalog.open(self.db_url)
        return self._catalog

    def existing_catalog(self) -> Catalog | None:
        """The catalog if there is one; never creates a database (for read-only linting)."""
        from pathlib import Path

        from sqlalchemy.engine import make_url

        from catalog.store.engine import resolve_url

        url = make_url(resolve_url(self.db_url))
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            if not Path(url.database).exists():
                return None
        return self.catalog

    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None


pass_app = click.make_pass_decorator(AppContext)
