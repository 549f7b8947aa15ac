"""What every command shares: the open catalog (opened on first use, closed at exit)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from catalog.store.catalog import Catalog


class AppContext:
    def __init__(self, db_url: str | None) -> None:
        self.db_url = db_url
        self._catalog: Catalog | None = None
        self._closers: list[Callable[[], None]] = []

    @property
    def catalog(self) -> Catalog:
        """The catalog, opened (and migrated) the first time a command needs it."""
        if self._catalog is None:
            from catalog.store.catalog import Catalog

            self._catalog = Catalog.open(self.db_url)
        return self._catalog

    def on_close(self, closer: Callable[[], None]) -> None:
        """Call ``closer`` when the command ends (a reader it opened, ...)."""
        self._closers.append(closer)

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None


pass_app = click.make_pass_decorator(AppContext)
