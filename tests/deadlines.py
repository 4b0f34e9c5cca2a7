"""A deadline on the CPU a block of test code may spend, for work that must stay linear in
hostile input: Python's regex engine checks for signals as it runs, so a pattern that
backtracks is stopped at the deadline instead of running for minutes."""

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


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
