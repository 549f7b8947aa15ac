"""Reading a big .bib file on the second core while the first one stores it.

``catalog import refs.bib`` spends about as long reading (bibtexparser's parse, LaTeX
to text, records) as storing, and the two are independent: a piece's papers do not
depend on what the catalog holds. :func:`read_batches` forks one worker that reads the
file's pieces (:func:`catalog.importers.bib.read_pieces`) and sends each back pickled
through a pipe, while this process stores the pieces it already has. The batches,
their order and their failed blocks' lines are exactly what one process reads
(tests/test_import_bib_workers.py compares them).

* Only this process touches the database: the whole import stays one transaction.
  The worker leaves with ``os._exit`` and never closes what it inherited.
* Fork is used only on Linux, only for files of several pieces, and only when the
  process has a single thread (forking a threaded process can deadlock the child).
  ``CATALOG_IMPORT_WORKERS=1`` turns it off.
* A worker that fails or is killed costs time, not output: this process reads the
  pieces it did not get itself, from where the worker stopped, with the keys the
  worker's pieces registered (so duplicates and their lines stay right). A file that
  cannot be read or decoded fails here the same way, with the same error.
* Memory stays bounded: a reader thread here takes at most :data:`AHEAD` pieces ahead
  of the store; the worker then waits on the pipe.
"""

from __future__ import annotations

import gc
import os
import pickle
import queue
import signal
import struct
import sys
import threading
from collections.abc import Callable, Generator, Iterable, Mapping

from catalog.gc_pause import BULK_GC_THRESHOLD
from catalog.importers.bib import PIECE_CHARS, BibImport, PieceRead, read_pieces
from catalog.sigint import fork_ignoring_sigint

__all__ = ["WORKERS_ENV", "read_batches", "worker_count"]

WORKERS_ENV = "CATALOG_IMPORT_WORKERS"
# Files of fewer pieces than this are read here: a fork costs more than it saves.
MIN_PIECES = 3
# Pieces read ahead of the store at most (a few MB each, pickled).
AHEAD = 4
_HEADER = struct.Struct("<Q")
_END = 0  # the length that says the worker read the whole file


def worker_count(size_bytes: int, piece: int = PIECE_CHARS) -> int:
    """How many processes read a file of ``size_bytes`` (1: this one only; at most 2,
    one reading while this one stores)."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return 1
    if threading.active_count() > 1:
        return 1
    configured = os.environ.get(WORKERS_ENV, "").strip()
    if configured.isdigit() and int(configured) >= 1:
        return min(2, int(configured))
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    if cores < 2 or size_bytes < MIN_PIECES * piece:
        return 1
    return 2


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _work(
    open_lines: Callable[[], Iterable[str]],
    path: str,
    size: int,
    fd: int,
    known: Mapping[bytes, str] | None,
) -> None:
    """In the worker: every piece, framed (length, pickle), then the end frame."""
    for read in read_pieces(open_lines, path, size=size, known=known):
        data = pickle.dumps(read, protocol=pickle.HIGHEST_PROTOCOL)
        _write_all(fd, _HEADER.pack(len(data)) + data)
    _write_all(fd, _HEADER.pack(_END))


def _read_exactly(f: object, n: int) -> bytes | None:
    data = f.read(n)  # type: ignore[attr-defined]
    return data if len(data) == n else None


def _drain(fd: int, out: queue.Queue[bytes | None], stop: threading.Event) -> None:
    """In a thread here: the worker's frames into ``out``; ``None`` last. A frame of
    length 0 (the end) is passed on as ``b""``; a cut stream ends with ``None`` only."""
    with os.fdopen(fd, "rb", buffering=1 << 20) as f:
        while not stop.is_set():
            header = _read_exactly(f, _HEADER.size)
            if header is None:
                break
            (length,) = _HEADER.unpack(header)
            frame = b"" if length == _END else _read_exactly(f, length)
            if frame is None:
                break
            while not stop.is_set():
                try:
                    out.put(frame, timeout=0.1)
                    break
                except queue.Full:
                    continue
            if length == _END:
                break
    while not stop.is_set():
        try:
            out.put(None, timeout=0.1)
            return
        except queue.Full:
            continue


def read_batches(
    open_lines: Callable[[], Iterable[str]],
    path: str,
    *,
    size: int = PIECE_CHARS,
    workers: int = 1,
    known: Mapping[bytes, str] | None = None,
) -> Generator[BibImport, None, None]:
    """:func:`catalog.importers.bib.read_bib_batches`, read by a forked worker when
    ``workers`` is 2 (see :func:`worker_count`); the same batches either way. Entries
    whose digests are ``known`` come unread (:func:`catalog.importers.bib.read_pieces`)."""
    if workers < 2:
        for read in read_pieces(open_lines, path, size=size, known=known):
            yield read.batch
        return
    entry_lines: dict[str, int] = {}
    string_lines: dict[str, int] = {}
    done = 0  # pieces received
    finished = False
    rfd, wfd = os.pipe()
    pid = fork_ignoring_sigint()  # Ctrl-C: the parent decides
    if pid == 0:  # pragma: no cover - runs in the worker, which never returns
        status = 1
        try:
            os.close(rfd)
            # What it inherited is never freed here: out of the collector's walks.
            gc.freeze()
            gc.set_threshold(*BULK_GC_THRESHOLD)
            _work(open_lines, path, size, wfd, known)
            status = 0
        finally:
            os._exit(status)
    os.close(wfd)
    frames: queue.Queue[bytes | None] = queue.Queue(maxsize=AHEAD)
    stop = threading.Event()
    drain = threading.Thread(target=_drain, args=(rfd, frames, stop), daemon=True)
    drain.start()
    try:
        while (frame := frames.get()) is not None:
            if frame == b"":
                finished = True
                break
            # Our own worker pickled this a moment ago: unpickling it is safe.
            got: PieceRead = pickle.loads(frame)
            entry_lines.update(got.entry_keys)
            string_lines.update(got.string_keys)
            done += 1
            yield got.batch
    finally:
        stop.set()
        if not finished:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        drain.join()
        os.waitpid(pid, 0)
    if finished:
        return
    # The worker stopped early: read the rest here, from the piece it stopped at.
    for read in read_pieces(
        open_lines,
        path,
        size=size,
        skip=done,
        entry_lines=entry_lines,
        string_lines=string_lines,
        known=known,
    ):
        yield read.batch
