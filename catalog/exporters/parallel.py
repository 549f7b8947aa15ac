"""Rendering a big export on every core: the papers' text is made in forked workers.

An export is mostly pure-Python text work on each paper (BibTeX entries and
bibtexparser's writer, JSON objects), one paper independent of the next, and Python
runs that on one core. :func:`write_parts` splits the papers into one contiguous range
per core: forked children render their ranges into temporary files while the parent
renders the first range straight to the output, then appends the children's text, in
order (by ``sendfile`` when the output is a file). The output is byte for byte what one
process would write. :func:`map_parts` does the same for a list of small results (the
base citation keys of a first export), which come back pickled.

* Fork shares the papers with the children for free (copy-on-write): nothing is
  pickled on the way in. It is used only on Linux, only for big exports
  (:data:`MIN_PARALLEL` papers), and only when the process has a single thread
  (forking a threaded process can deadlock the child). ``CATALOG_EXPORT_WORKERS=N``
  sets the number of processes (1: never fork).
* A child that fails (or is killed) costs time, not output: the parent renders its
  range itself. An interrupted parent kills its children; their files are anonymous
  and vanish with them.
* Children leave with ``os._exit``: they never flush or close what they inherited (the
  output stream, database connections).
"""

from __future__ import annotations

import codecs
import os
import pickle
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable
from typing import IO, TextIO, TypeVar

__all__ = ["MIN_PARALLEL", "WORKERS_ENV", "map_parts", "worker_count", "write_parts"]

T = TypeVar("T")

# Below this many papers, forking costs more than it saves.
MIN_PARALLEL = 20_000
WORKERS_ENV = "CATALOG_EXPORT_WORKERS"

Render = Callable[[int, int], str]  # render(start, end): the text of papers start..end-1


def worker_count(papers: int) -> int:
    """How many processes render an export of ``papers`` papers (1: no fork)."""
    configured = os.environ.get(WORKERS_ENV, "").strip()
    if configured.isdigit() and int(configured) >= 1:
        wanted = int(configured)
    else:
        wanted = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        if papers < MIN_PARALLEL:
            return 1
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return 1
    if threading.active_count() > 1:
        return 1
    return max(1, min(wanted, papers))


def _ranges(count: int, parts: int) -> list[tuple[int, int]]:
    bounds = [count * i // parts for i in range(parts + 1)]
    return [(bounds[i], bounds[i + 1]) for i in range(parts) if bounds[i] < bounds[i + 1]]


def _write_range(
    render: Render, start: int, end: int, chunk: int, joiner: str, out: IO[str]
) -> None:
    """Render ``start..end`` a chunk at a time (memory stays flat) and write it."""
    for lo in range(start, end, chunk):
        if lo > start:
            out.write(joiner)
        out.write(render(lo, min(lo + chunk, end)))


def _copy(spool: IO[bytes], out: TextIO) -> None:
    """Append a child's UTF-8 text to ``out``: as bytes when ``out`` is a UTF-8 file
    (no decoding and encoding again; by the kernel when it is a real file), else as
    text."""
    binary = getattr(out, "buffer", None)
    encoding = getattr(out, "encoding", None) or "ascii"
    if binary is not None and codecs.lookup(encoding).name == "utf-8":
        out.flush()
        binary.flush()
        try:
            target = binary.fileno()
        except (OSError, ValueError):  # not a file (BytesIO, ...)
            shutil.copyfileobj(spool, binary, 1 << 22)
            return
        size = os.fstat(spool.fileno()).st_size
        offset = 0
        try:
            while offset < size:
                sent = os.sendfile(target, spool.fileno(), offset, size - offset)
                if sent == 0:
                    break
                offset += sent
        except OSError:
            if offset:  # part of it is written: we cannot fall back any more
                raise
        if offset < size:  # a target sendfile does not take (a terminal, ...)
            spool.seek(offset)
            shutil.copyfileobj(spool, binary, 1 << 22)
            binary.flush()
        return
    with open(spool.fileno(), encoding="utf-8", closefd=False) as text:
        while piece := text.read(1 << 22):
            out.write(piece)


def _fan_out(
    ranges: list[tuple[int, int]],
    in_child: Callable[[int, int, IO[bytes]], None],
    in_parent: Callable[[int, int], None],
    merge: Callable[[IO[bytes] | None, int, int], None],
) -> None:
    """Run ``in_child(start, end, spool)`` for every range but the first in a forked
    child, ``in_parent`` for the first one here, then ``merge`` each child's spool (at
    its start; ``None`` if the child failed) in range order."""
    children: list[tuple[int, IO[bytes], int, int]] = []  # pid, spool, range
    try:
        for start, end in ranges[1:]:
            spool: IO[bytes] = tempfile.TemporaryFile()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, which never returns
                status = 1
                try:
                    in_child(start, end, spool)
                    spool.flush()
                    status = 0
                finally:
                    os._exit(status)
            children.append((pid, spool, start, end))
        in_parent(*ranges[0])
        while children:
            pid, spool, start, end = children[0]
            _, status = os.waitpid(pid, 0)
            children.pop(0)
            try:
                spool.seek(0)
                merge(spool if os.waitstatus_to_exitcode(status) == 0 else None, start, end)
            finally:
                spool.close()
    finally:
        for pid, spool, _, _ in children:  # interrupted: stop the others
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
            spool.close()


def write_parts(
    count: int,
    render: Render,
    out: TextIO,
    *,
    joiner: str,
    chunk: int = 2000,
    workers: int | None = None,
) -> None:
    """Write the text of papers ``0..count-1`` to ``out``: ``render(start, end)`` for
    consecutive ranges, joined by ``joiner``; ranges are rendered in parallel when
    :func:`worker_count` (or ``workers``) says so."""
    ranges = _ranges(count, max(1, worker_count(count) if workers is None else workers))
    if len(ranges) <= 1:
        _write_range(render, 0, count, chunk, joiner, out)
        return

    def in_child(start: int, end: int, spool: IO[bytes]) -> None:
        with open(spool.fileno(), "w", encoding="utf-8", closefd=False) as text:
            _write_range(render, start, end, chunk, joiner, text)

    def in_parent(start: int, end: int) -> None:
        _write_range(render, start, end, chunk, joiner, out)

    def merge(spool: IO[bytes] | None, start: int, end: int) -> None:
        out.write(joiner)
        if spool is not None:
            _copy(spool, out)
        else:  # the child failed: do its part here
            _write_range(render, start, end, chunk, joiner, out)

    _fan_out(ranges, in_child, in_parent, merge)


def map_parts(
    count: int, compute: Callable[[int, int], list[T]], *, workers: int | None = None
) -> list[T]:
    """``compute(0, count)``, computed as consecutive ranges in parallel when
    :func:`worker_count` (or ``workers``) says so. Results come back pickled, so keep
    them small (keys, not records)."""
    ranges = _ranges(count, max(1, worker_count(count) if workers is None else workers))
    if len(ranges) <= 1:
        return compute(0, count)
    result: list[T] = []

    def in_child(start: int, end: int, spool: IO[bytes]) -> None:
        pickle.dump(compute(start, end), spool, protocol=pickle.HIGHEST_PROTOCOL)

    def in_parent(start: int, end: int) -> None:
        result.extend(compute(start, end))

    def merge(spool: IO[bytes] | None, start: int, end: int) -> None:
        # Our own child wrote this file a moment ago: unpickling it is safe.
        result.extend(pickle.load(spool) if spool is not None else compute(start, end))

    _fan_out(ranges, in_child, in_parent, merge)
    return result
