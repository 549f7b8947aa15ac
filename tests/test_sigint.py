"""Forked readers and parsers leave Ctrl-C to their parent, from the instant they exist."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest

from catalog.sigint import fork_ignoring_sigint, forking_without_sigint, ignore_sigint_in_child


@pytest.fixture(autouse=True)
def ctrl_c_raises() -> object:
    """Ctrl-C as a terminal's Python has it (a KeyboardInterrupt), whatever the test
    runner set: pytest-xdist's workers ignore SIGINT, and a child forked from one would
    ignore it without any help, so none of these tests could fail there."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


def _child(start_up: Callable[[], None]) -> int:  # pragma: no cover - runs in the child
    """The child's exit code: 0 if it lived through its start-up and a moment more, 3
    if Ctrl-C reached it."""
    try:
        start_up()
        time.sleep(0.05)
    except BaseException:  # KeyboardInterrupt
        return 3
    return 0


def _ctrl_c(pid: int) -> int:
    """Send Ctrl-C during the child's start-up; its exit code."""
    time.sleep(0.05)
    os.kill(pid, signal.SIGINT)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _slow_start_up() -> None:
    time.sleep(0.3)  # a multiprocessing child's bootstrap, before its target runs
    ignore_sigint_in_child()


def test_a_ctrl_c_during_a_child_s_start_up_is_discarded() -> None:
    with forking_without_sigint():  # as multiprocessing's start(): the child stays inside
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os._exit(_child(_slow_start_up))
    assert _ctrl_c(pid) == 0


def test_a_plain_fork_s_child_ignores_ctrl_c_at_once() -> None:
    pid = fork_ignoring_sigint()
    if pid == 0:  # pragma: no cover - the child
        os._exit(_child(lambda: time.sleep(0.3)))
    assert _ctrl_c(pid) == 0


def test_without_either_a_child_takes_ctrl_c_so_the_tests_above_can_fail() -> None:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os._exit(_child(_slow_start_up))
    assert _ctrl_c(pid) == 3


def test_the_parent_takes_ctrl_c_again_after_the_fork() -> None:
    with forking_without_sigint():
        assert signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, set())
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())
