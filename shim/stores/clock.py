"""With Redis, every instance keeps time by the store's clock (Redis `TIME`), not its own.

A nonce must be kept for as long as any instance could accept its request. Were each instance
to judge `oauth_timestamp` on its own wall clock and give the nonce a time to live from it, an
instance stepped 290 s ahead would keep a nonce 11 s and an instance with the right clock would
accept the replay 14 s later. So all instances judge timestamps on Redis's clock, and a nonce
expires at an absolute time on that same clock (`SET … PXAT`): whatever the instances' clocks
say, the nonce outlives the window in which any of them accepts it.

Redis's time is read once at start, then again at most once a second with a nonce's SET (same
round trip), and applied to this machine's monotonic clock, so a step of the wall clock here
changes nothing. A reading is off by half a round trip at most (a Redis call may take 0.5 s),
inside the second a nonce is kept past the window (`shim.credentials.verifier`). An instance
whose wall clock disagrees with Redis's by more than `SKEW_LIMIT` says so: a warning in the log
(at most every `WARN_EVERY`), the `shim_clock_skew_seconds` gauge, and `shim check`.
"""

import logging
import time
from collections.abc import Callable

from shim.config import ConfigError
from shim.stores.connections import FAILURES, sync_client

log = logging.getLogger("shim.shared")

SKEW_LIMIT = 5.0  # seconds the wall clock here may differ from Redis's before it is reported
READY_SKEW = 60.0  # seconds off past which an instance is not ready: its clock is broken
REFRESH = 1.0  # seconds between two readings of Redis's clock
WARN_EVERY = 600.0  # seconds between two warnings of the same disagreement
NTP_FIX = "sync this machine's clock and Redis's with NTP (e.g. chrony, systemd-timesyncd)"


class StoreClock:
    """Seconds since the epoch on Redis's clock, as last read, run on by `time.monotonic`."""

    def __init__(self, machine: Callable[[], float]) -> None:
        self._machine = machine  # the wall clock here: only compared, never trusted
        self._offset = 0.0  # Redis's time minus the monotonic clock
        self._read_at = float("-inf")
        self._warned_at = float("-inf")

    def __call__(self) -> float:
        return self._offset + time.monotonic()

    def due(self) -> bool:
        """Whether Redis's clock should be read again (at most once a second)."""
        return time.monotonic() - self._read_at >= REFRESH

    def learn(self, answer: tuple[int, int], sent: float, received: float) -> None:
        """Redis's `TIME` answer, asked at monotonic `sent`, answered at `received`: taken as
        the time halfway, which is off by half the round trip at most."""
        seconds, microseconds = answer
        self._offset = seconds + microseconds / 1e6 - (sent + received) / 2
        self._read_at = received

    def watch(self) -> None:
        """Warn of a disagreement with Redis's clock, once every WARN_EVERY while it lasts."""
        skew = self.skew()
        if abs(skew) > SKEW_LIMIT and self._read_at - self._warned_at >= WARN_EVERY:
            self._warned_at = self._read_at
            log.warning("%s; fix: %s", disagreement(skew), NTP_FIX)

    def skew(self) -> float:
        """Seconds the wall clock here is ahead of Redis's (behind when negative)."""
        return self._machine() - self()


def disagreement(skew: float) -> str:
    way = "ahead of" if skew > 0 else "behind"
    return f"this machine's clock is {abs(skew):.1f} s {way} Redis's"


def store_clock(url: str, machine: Callable[[], float]) -> StoreClock:
    """Redis's clock as read now, at start: nothing is judged before it is known. (`shim
    serve` has said already if the clocks disagree: `shim.operator.check.offline`.)"""
    client = sync_client(url)
    clock = StoreClock(machine)
    try:
        sent = time.monotonic()
        answer = client.time()
        clock.learn(answer, sent, time.monotonic())
    except FAILURES as error:
        raise ConfigError(f"SHIM_REDIS_URL: cannot reach Redis ({type(error).__name__})") from None
    finally:
        client.close()
    return clock
