"""Deadlines for tests: on the CPU a block of test code may spend, for work that must stay
linear in hostile input (Python's regex engine checks for signals as it runs, so a pattern that
backtracks is stopped at the deadline instead of running for minutes), and on the wall clock
for a test waiting on background work (`until`: it polls, never sleeps a guess)."""

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TypeVar

T = TypeVar("T")


class OverDeadline(AssertionError):
    pass


@contextmanager
def cpu_deadline(seconds: float) -> Iterator[None]:
    """Fail the block once the process has spent `seconds` of CPU in it (its own user time, so a
    busy machine does not count against it)."""

    def late(signum: int, frame: FrameType | None) -> None:
        raise OverDeadline(f"still running after {seconds} s of CPU")

    previous = signal.signal(signal.SIGVTALRM, late)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)


def until(check: Callable[[], T], seconds: float) -> T:
    """Poll `check` until it returns something true, and return it; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, "not within the deadline"
        time.sleep(0.1)
    return found
