"""Forked helper processes that leave Ctrl-C to their parent (stdlib only).

A terminal's Ctrl-C sends SIGINT to every process of the foreground group, the forked
readers and parsers included. Their parent decides what an interrupt means (stop,
roll back, say so once), so a child ignores it. Setting ``SIG_IGN`` in the child leaves
a window between the fork and that call (for a ``multiprocessing`` child, its whole
start-up) in which a SIGINT kills it with a traceback; so SIGINT is blocked across the
fork, and the child ignores it before unblocking it (a signal pending meanwhile is then
discarded).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["fork_ignoring_sigint", "forking_without_sigint", "ignore_sigint_in_child"]


def fork_ignoring_sigint() -> int:
    """``os.fork()``, the child ignoring SIGINT before it does anything else."""
    with forking_without_sigint():
        pid = os.fork()
        if pid == 0:
            ignore_sigint_in_child()
    return pid


@contextmanager
def forking_without_sigint() -> Iterator[None]:
    """Block SIGINT in this thread while a child is forked inside the block (by
    ``multiprocessing``'s fork context, whose child never leaves ``start()``), until the
    child calls :func:`ignore_sigint_in_child`. The parent's mask is back afterwards (a
    SIGINT that came meanwhile is delivered then). A child that left the block would
    take SIGINT again: plain ``os.fork`` goes through :func:`fork_ignoring_sigint`."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def ignore_sigint_in_child() -> None:
    """In a child forked inside :func:`forking_without_sigint`: ignore SIGINT, then
    unblock it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
