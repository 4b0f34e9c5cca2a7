"""A circuit breaker for the upstream: while most calls fail, answer at once (v1.1 code 130)
instead of making every client wait out a time-out, and let a few probes through now and then
to find out when the upstream is back.

Built as resilience4j's CircuitBreaker is (a failure rate over a time-based sliding window,
with a minimum number of calls before it may open; a wait; a few probe calls when half-open)
so that a short burst of failures among many calls, as in issue 24 (17 503s within 0.14 s
refused every client for 10 s), is not taken for an outage. State is per process."""

import logging
import time
from collections import Counter, deque
from collections.abc import Callable

log = logging.getLogger("shim.upstream")

BUCKETS = 10  # the window is kept as this many partial counts, as resilience4j keeps its own


class CircuitBreaker:
    """Closed: calls go through and their outcomes are counted over the last `window` seconds;
    once at least `minimum_calls` ended there and `failure_rate` (0 to 1) of them failed, it
    opens. Open: calls are refused for `wait` seconds, then it is half-open: `probes` calls go
    through; all of them succeeding closes it, any one failing opens it again.

    A call asks `allow`, which gives a ticket (None: refused), and reports once with `record`.
    A ticket names the state's term it was given in, so a call that ends after the breaker has
    moved on (a slow call from before it opened) counts for nothing."""

    def __init__(
        self,
        window: float = 10.0,
        minimum_calls: int = 20,
        failure_rate: float = 0.5,
        wait: float = 5.0,
        probes: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._width = window / BUCKETS
        self._minimum, self._rate, self._wait, self._probes = (
            minimum_calls,
            failure_rate,
            wait,
            probes,
        )
        self._clock = clock
        self._state = "closed"
        self._term = 0  # counts the state changes; tickets carry it
        self._buckets: deque[list[int]] = deque()  # [bucket number, calls, failures]
        self._calls = self._failures = 0
        self._opened_at = 0.0
        self._unasked = self._succeeded = (
            0  # while half-open: probes not yet let through, good ones
        )
        self.transitions: Counter[str] = Counter()  # by the state entered, for /metrics

    @property
    def state(self) -> str:
        if self._state == "open" and self._clock() - self._opened_at >= self._wait:
            self._unasked, self._succeeded = self._probes, 0
            self._move("half-open", f"letting {self._probes} probe calls through")
        return self._state

    def allow(self) -> int | None:
        """A ticket for a call that may go upstream now, or None if it must be refused."""
        state = self.state
        if state == "open":
            return None
        if state == "half-open":
            if not self._unasked:
                return None
            self._unasked -= 1
        return self._term

    def record(self, ticket: int, failed: bool) -> None:
        """How the call given `ticket` ended: once per call, its retries included."""
        if ticket != self._term:
            return
        if self._state == "half-open":
            self._succeeded += not failed
            if failed:
                self._open("a probe call failed")
            elif self._succeeded == self._probes:
                self._move("closed", f"{self._probes} probe calls succeeded")
        elif self._state == "closed":
            self._count(failed)
            if self._calls >= self._minimum and self._failures >= self._rate * self._calls:
                self._open(
                    f"{self._failures} of the last {self._calls} calls failed "
                    f"in {self._width * BUCKETS:g} s"
                )

    def _count(self, failed: bool) -> None:
        """Add one outcome to the window, dropping the buckets that have slid out of it."""
        number = int(self._clock() // self._width)
        while self._buckets and self._buckets[0][0] <= number - BUCKETS:
            _, calls, failures = self._buckets.popleft()
            self._calls, self._failures = self._calls - calls, self._failures - failures
        if not self._buckets or self._buckets[-1][0] != number:
            self._buckets.append([number, 0, 0])
        self._buckets[-1][1] += 1
        self._buckets[-1][2] += failed
        self._calls += 1
        self._failures += failed

    def _open(self, reason: str) -> None:
        self._opened_at = self._clock()
        self._move("open", f"{reason}; refusing calls for {self._wait:g} s")

    def _move(self, state: str, reason: str) -> None:
        """Enter `state` with an empty window: outcomes from before never count in it."""
        self._state, self._term = state, self._term + 1
        self._buckets.clear()
        self._calls = self._failures = 0
        self.transitions[state] += 1
        level = logging.INFO if state == "closed" else logging.WARNING
        log.log(level, "upstream circuit breaker %s: %s", state, reason)
