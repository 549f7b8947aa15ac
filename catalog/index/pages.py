"""OAI-PMH pages read one ahead: page N+1 is fetched and parsed while page N is stored.

Reading a 2,500-record page (XML, then the rows for the database) costs about as much
CPU as storing it, and each needs only the other's result at the end: the token that
asks for the next page is known as soon as a page is parsed. So a harvest runs three
things at once, each one at a time:

* the harvest loop (the caller's thread) stores page N, one transaction with its state;
* a fetch thread asks for page N+1 (one request in flight, the client's spacing and
  retries as before) once the loop has taken page N and said what to ask next;
* a parser process (forked once a run) turns each body into rows; the body goes to it
  in chunks as it is read, so no page is held whole as bytes.

A process, not a thread, parses: ElementTree and the row making hold the GIL the whole
time, and a thread made the store wait for the GIL at each of its rows (sqlite3
releases it around every step of an ``executemany``).

Memory stays at one page ahead: the fetch thread asks for the next page only when the
loop has taken the last one. A harvest killed at any moment loses the page being stored
(its transaction) and the one being fetched; the stored token is the last stored page's,
so the next run asks for the page after it. The parser process reads from a pipe whose
other end only the harvest holds: when the harvest dies, it sees the end and exits.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any, cast

import defusedxml.ElementTree  # noqa: F401 (imported before the parser is forked)

from catalog.errors import CatalogError
from catalog.index.oai import MalformedPage, OaiError, Page, parse_page
from catalog.index.store import Rows, prepare_rows
from catalog.sigint import forking_without_sigint, ignore_sigint_in_child

# Bytes of a body sent to the parser at a time: few enough messages that the two
# processes do not wait on each other for each (64 KB chunks, a pipe's buffer, cost a
# wake-up of the other process each, 86 a page), and a bounded part of a body.
_CHUNK = 1 << 20


class ParserStopped(CatalogError):
    """The parser process ended without answering (killed, out of memory)."""

    exit_code = 3


@dataclass
class ReadPage:
    """A parsed page as the harvest loop needs it: the rows to store and what the
    harvest state and report take from it. Cheap to send between processes."""

    rows: Rows = field(default_factory=Rows)
    token: str | None = None  # None: the list is complete
    complete_list_size: int | None = None
    errors: list[OaiError] = field(default_factory=list)
    records: int = 0  # records read, deleted ones included
    live: int = 0
    deleted: int = 0
    skipped: int = 0  # records in a metadata format this reader does not know
    datestamps: list[date | None] = field(default_factory=list)  # in the page's order

    @property
    def error(self) -> OaiError | None:
        return self.errors[0] if self.errors else None

    @classmethod
    def of(cls, page: Page, dialect: str) -> ReadPage:
        deleted = sum(1 for r in page.records if r.deleted)
        return cls(
            rows=prepare_rows(page.records, dialect),
            token=page.token or None,
            complete_list_size=page.complete_list_size,
            errors=page.errors,
            records=len(page.records),
            live=len(page.records) - deleted,
            deleted=deleted,
            skipped=page.skipped,
            datestamps=[r.datestamp for r in page.records],
        )


def read_page(source: IO[bytes], dialect: str) -> ReadPage:
    """Parse one answer into a :class:`ReadPage` here, in this process."""
    return ReadPage.of(parse_page(source), dialect)


class PageParser:
    """A forked process that parses bodies into :class:`ReadPage`. Use as a context
    manager; :meth:`parse` is called by one thread at a time."""

    def __init__(self, dialect: str) -> None:
        import multiprocessing

        # fork: the parser needs nothing but the modules already imported (no database,
        # no network); it is started before the fetch thread, so no lock is held.
        context = multiprocessing.get_context("fork")
        self._conn, theirs = context.Pipe(duplex=True)
        self._process = context.Process(
            target=_parse_bodies,
            args=(theirs, self._conn, dialect),
            daemon=True,
            name="oai-page-parser",
        )
        with forking_without_sigint():  # Ctrl-C is the harvest's, from the first instant
            self._process.start()
        theirs.close()  # only the parser holds its end: it sees EOF when we go

    def parse(self, source: IO[bytes]) -> ReadPage:
        """The page in ``source``, parsed in the parser process. Raises
        :class:`MalformedPage` as :func:`parse_page` does."""
        try:
            while True:
                chunk = source.read(_CHUNK)
                self._conn.send_bytes(chunk)
                if not chunk:  # the end of the body
                    break
            kind, value = self._conn.recv()
        except (EOFError, OSError):
            raise ParserStopped(
                f"the page parser process stopped (exit code {self._process.exitcode})"
            ) from None
        if kind == "page":
            assert isinstance(value, ReadPage)
            return value
        if kind == "malformed":
            raise MalformedPage(value)
        raise ParserStopped(f"the page parser failed: {value}")

    def close(self) -> None:
        self._conn.close()  # the parser sees EOF and exits
        self._process.join(timeout=5)
        if self._process.is_alive():  # busy with a page no one waits for
            self._process.terminate()
            self._process.join()

    def __enter__(self) -> PageParser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Chunks:
    """The body arriving over the pipe, as a binary file (an empty chunk ends it)."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.ended = False
        self.chunk, self.at = b"", 0

    def wait(self) -> None:
        """Until the first chunk is here (EOFError: the harvest closed its end)."""
        self._next()

    def _next(self) -> None:
        self.chunk, self.at = self.conn.recv_bytes(), 0
        self.ended = not self.chunk

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            parts = [self.chunk[self.at :]]
            while not self.ended:
                self._next()
                parts.append(self.chunk)
            self.chunk, self.at = b"", 0
            return b"".join(parts)
        while self.at >= len(self.chunk) and not self.ended:
            self._next()
        out = self.chunk[self.at : self.at + size]
        self.at += len(out)
        return out

    def drain(self) -> None:
        while not self.ended:
            self._next()


def _parse_bodies(conn: Any, other_end: Any, dialect: str) -> None:
    """In the parser process: parse each body sent, answer with the page or the error."""
    ignore_sigint_in_child()  # Ctrl-C is the harvest's to handle
    other_end.close()  # the harvest's end, inherited: only the harvest may hold it
    while True:
        body = _Chunks(conn)
        try:
            body.wait()
        except (EOFError, OSError):
            return  # the harvest closed its end (or died)
        try:
            answer: tuple[str, Any] = ("page", read_page(cast("IO[bytes]", body), dialect))
        except MalformedPage as exc:
            answer = ("malformed", str(exc))
        except (EOFError, OSError):
            return
        except Exception as exc:  # noqa: BLE001 (a bug: say what, don't hang the harvest)
            answer = ("failed", f"{type(exc).__name__}: {exc}")
        try:
            body.drain()  # a page refused early still sends its whole body
            conn.send(answer)
        except (EOFError, OSError):
            return


Fetch = Callable[[dict[str, str]], ReadPage]


class PagesAhead:
    """Pages fetched (by ``fetch``, in a thread) one ahead of the caller.

    The caller says what to ask for with :meth:`ask` and takes the answer with
    :meth:`get`; between the two it stores the page before. One request at a time,
    at most one page waiting. Use as a context manager."""

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch
        self._asked: queue.Queue[dict[str, str] | None] = queue.Queue()
        self._answers: queue.Queue[tuple[ReadPage | None, BaseException | None]] = queue.Queue()
        self._pending = 0
        self._thread = threading.Thread(target=self._run, daemon=True, name="oai-fetch")
        self._thread.start()

    def ask(self, params: dict[str, str]) -> None:
        """Start fetching the page ``params`` ask for (one at a time)."""
        assert self._pending == 0, "one page ahead at most"
        self._pending = 1
        self._asked.put(params)

    def get(self) -> ReadPage:
        """The page last asked for; the fetch's error, if it failed, is raised here."""
        assert self._pending == 1, "nothing asked"
        page, error = self._answers.get()
        self._pending = 0
        if error is not None:
            raise error
        assert page is not None
        return page

    def close(self) -> None:
        self._asked.put(None)
        if self._pending == 0:
            self._thread.join()
        # else a fetch is in flight (the run stopped on an error): the thread ends when
        # it does (the client is closed by its owner); nothing waits for its answer

    def __enter__(self) -> PagesAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while True:
            params = self._asked.get()
            if params is None:
                return
            try:
                self._answers.put((self._fetch(params), None))
            except BaseException as exc:  # noqa: BLE001 (raised in the caller's thread)
                self._answers.put((None, exc))
