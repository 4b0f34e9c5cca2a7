"""A circuit breaker for the upstream: after a run of failures, answer at once (v1.1 code 130)
instead of making every client wait out a time-out, and let one probe through now and then to
find out when the upstream is back."""

import time
from collections.abc import Callable


class CircuitBreaker:
    """Closed: calls go through. Open: they are refused until `cooldown` has passed, then one
    probe goes through (half-open); its success closes the breaker, its failure opens it again."""

    def __init__(
        self,
        threshold: int = 5,
        cooldown: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._threshold = threshold
        self._cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        return "half-open" if self._clock() - self._opened_at >= self._cooldown else "open"

    def allow(self) -> bool:
        """Whether a call may go upstream now."""
        if self.state == "closed":
            return True
        if self.state == "half-open" and not self._probing:
            self._probing = True  # one probe at a time
            return True
        return False

    def succeeded(self) -> None:
        self._failures, self._opened_at, self._probing = 0, None, False

    def failed(self) -> None:
        self._failures += 1
        if self._probing or self._failures >= self._threshold:
            self._opened_at, self._probing = self._clock(), False
