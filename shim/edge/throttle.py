"""Wrong admin tokens, counted per client address: at most `FAILURES` a minute, then that
address is refused (429, code 88) for the rest of the minute, the right token included, so a
guess that happens to be right is not told either. Other addresses are not held up.

An IPv6 address counts as its /64 network, which one host is commonly given whole. At most
`ADDRESSES` counts are kept; past that, addresses not yet counted share one count, so many
addresses get no more guesses than one, and the table never grows.
"""

import ipaddress
import math
import time
from collections.abc import Callable

FAILURES = 10  # wrong tokens an address may send in a window
WINDOW = 60.0  # seconds
ADDRESSES = 10_000  # counts kept at most (under 2 MB)
OTHERS = "others"  # the count shared by addresses past the bound


class Throttle:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        # address -> (window start, failures), oldest window first: a window that starts
        # again moves its entry to the end, so expired entries are always at the front.
        self._failed: dict[str, tuple[float, int]] = {}

    def __len__(self) -> int:
        return len(self._failed)

    def wait(self, address: str | None) -> int:
        """Seconds before this address may try again; 0 when it may now."""
        now = self._clock()
        started, count = self._failed.get(self._key(address, now), (now, 0))
        left = started + WINDOW - now
        return math.ceil(left) if count >= FAILURES and left > 0 else 0

    def failed(self, address: str | None) -> None:
        """Count one wrong token from this address."""
        now = self._clock()
        key = self._key(address, now)
        started, count = self._failed.pop(key, (now, 0))
        if now - started >= WINDOW:
            started, count = now, 0
        self._failed[key] = (started, count + 1)

    def _key(self, address: str | None, now: float) -> str:
        key = network(address)
        if key in self._failed:
            return key
        self._forget(now)
        return key if len(self._failed) < ADDRESSES - 1 else OTHERS  # room for OTHERS

    def _forget(self, now: float) -> None:
        """Drop counts whose window is over, from the front: each is dropped once."""
        while self._failed:
            key, (started, _) = next(iter(self._failed.items()))
            if now - started < WINDOW:
                return
            del self._failed[key]


def network(address: str | None) -> str:
    """The address counted: an IPv4 address, or an IPv6 address's /64."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or ""
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
