"""What the sources over one polite HTTP client share (Crossref, DBLP, OpenReview,
proceedings pages): closing the client, being a context manager, and counting the
requests and retries a ``fetch`` cost it into its :class:`FetchOutcome`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Self

from catalog.sources import FetchOutcome

if TYPE_CHECKING:
    from catalog.sources.http import Http

__all__ = ["HttpSource"]


class HttpSource:
    """A source that asks its site through ``self.http`` (set by the subclass)."""

    name: str
    http: Http

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def counted(self) -> Iterator[FetchOutcome]:
        """A new outcome that holds, once the block ends, the requests and retries the
        client made in it (a client serves several calls, so its totals are not)."""
        out = FetchOutcome()
        requests, retries = self.http.requests, self.http.retries
        yield out
        out.requests = self.http.requests - requests
        out.retries = self.http.retries - retries
